#ifndef GCLIMITS_H
#define GCLIMITS_H
/* A sandbox's limits, checked in C where Lua allocates and runs: a cap on its Lua heap (a
 * counting allocator), a wall-clock deadline (checked by the count hook that also watches
 * for Ctrl-C, and by native loops through gcshim_interrupt_pending) and a cap on native
 * bytes reported by the host. A limit that trips stays tripped: every later check of that
 * sandbox fails with the same reason. The limits checked are those of the sandbox entered
 * last (gclimits_enter), so a sandbox run from another state limits only itself. */
#include <stddef.h>
#include <lua.h>

typedef struct gclimits gclimits;

gclimits *gclimits_new(void);
void gclimits_free(gclimits *g);
/* Installs g's counting allocator on L (a state not yet used: g must outlive it). */
void gclimits_install_allocator(lua_State *L, gclimits *g);
/* Caps: Lua heap bytes, native bytes above `native_base` (0: no cap), seconds from now (<= 0: none). */
void gclimits_set(gclimits *g, size_t lua_cap, size_t native_cap, size_t native_base, double seconds);
/* Counts a native function's call on L (+1 before, -1 after). */
void gclimits_native_call(lua_State *L, int delta);
/* The message of L's own limits once tripped (NULL: none, or L is not a sandbox). */
const char *gclimits_tripped_message(lua_State *L);
/* Makes g the limits checked; returns the previous ones, for gclimits_enter(prev) after. */
gclimits *gclimits_enter(gclimits *g);
/* Reports the native bytes now live; trips the entered limits when over their cap. */
void gclimits_native_live(size_t bytes);
/* Checks the entered limits' deadline; 0 while none has tripped, else the reason's code. */
int gclimits_check(void);
/* The message of the entered limits once tripped (NULL when none has tripped). */
const char *gclimits_message(void);
#endif
