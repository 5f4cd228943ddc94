/* gcshim: the C side of gcgap's Lua boundary.
 *
 * 1. static inline wrappers for Lua C API macros that Swift cannot import.
 * 2. The error trampoline. Swift functions exposed to Lua never call lua_error: they are
 *    invoked through `gcshim_trampoline`, return a result count (>= 0) or a negative code
 *    with an error value on the stack, and the trampoline raises the Lua error only after
 *    the Swift frame has returned, so no longjmp ever crosses Swift code.
 * 3. lua.c's SIGINT pattern: the handler sets a hook that raises "interrupted!" at the next
 *    Lua instruction, and a flag that native loops poll between steps.
 */
#ifndef GCSHIM_H
#define GCSHIM_H

#include <stdint.h>
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>
#include "gclimits.h"

/* ---- macro wrappers ---------------------------------------------------- */
static inline int gcshim_registryindex(void) { return LUA_REGISTRYINDEX; }
static inline int gcshim_upvalueindex(int i) { return lua_upvalueindex(i); }
static inline int gcshim_multret(void) { return LUA_MULTRET; }
static inline void gcshim_pop(lua_State *L, int n) { lua_pop(L, n); }
static inline void gcshim_newtable(lua_State *L) { lua_newtable(L); }
static inline void gcshim_insert(lua_State *L, int idx) { lua_insert(L, idx); }
static inline void gcshim_remove(lua_State *L, int idx) { lua_remove(L, idx); }
static inline void gcshim_replace(lua_State *L, int idx) { lua_replace(L, idx); }
static inline const char *gcshim_tostring(lua_State *L, int idx) { return lua_tolstring(L, idx, NULL); }
static inline int gcshim_isnoneornil(lua_State *L, int idx) { return lua_type(L, idx) <= 0; }
static inline int gcshim_pcall(lua_State *L, int nargs, int nresults, int msgh) {
    return lua_pcall(L, nargs, nresults, msgh);
}
static inline void gcshim_pushglobaltable(lua_State *L) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
}
static inline int gcshim_loadbuffer(lua_State *L, const char *buf, size_t size, const char *name) {
    return luaL_loadbufferx(L, buf, size, name, "t"); /* text: the host never loads binary chunks from strings */
}
static inline int gcshim_getmetatable_named(lua_State *L, const char *name) {
    return lua_getfield(L, LUA_REGISTRYINDEX, name); /* registry: a plain table, cannot raise */
}
static inline const char *gcshim_typename_at(lua_State *L, int idx) { return luaL_typename(L, idx); }
static inline int gcshim_checkstack(lua_State *L, int n) { return lua_checkstack(L, n); }
static inline int gcshim_version_num(void) { return LUA_VERSION_NUM; }
static inline const char *gcshim_version(void) { return LUA_RELEASE; }
static inline const char *gcshim_copyright(void) { return LUA_COPYRIGHT; }

/* ---- the error trampoline ---------------------------------------------- */

/* What a Swift function returns to the trampoline. */
enum {
    GCSHIM_ERROR = -1,       /* error message (a string) on top: raised with position info */
    GCSHIM_ERROR_VALUE = -2  /* error value on top: raised as it is */
};

/* The single Swift entry point: calls the Swift closure `box` with the Lua state. */
typedef int (*gcshim_dispatch_fn)(lua_State *L, void *box);

/* Installed once by the binding layer. */
void gcshim_set_dispatcher(gcshim_dispatch_fn fn);

/* Pushes a C closure that calls the dispatcher with `box`, a retained Swift object pointer.
 * The closure owns it through a full userdata upvalue whose finalizer releases it, so a
 * function Lua no longer reaches frees its Swift side. */
void gcshim_push_swift_function(lua_State *L, void *box);

/* ---- gcgap userdata ----------------------------------------------------- */

/* Every gcgap userdata (a tensor, a model, ... and the box of a native function) is this
 * block: a magic number and a type id in its own memory, then the retained Swift object
 * (NULL once finalized). A userdata is gcgap's only when its block is exactly this size and
 * holds the magic; its metatable proves nothing (debug.setmetatable can give any userdata
 * gcgap's metatable). */
#define GCSHIM_OBJECT_MAGIC UINT64_C(0x9c3a5f17d2e4b861)
typedef struct {
    uint64_t magic;
    uint32_t type;     /* a UserdataType's id; GCSHIM_NATIVE_TYPE for a native function's box */
    uint32_t reserved;
    void *object;      /* a retained Swift object, NULL once released */
} gcshim_object;
enum { GCSHIM_NATIVE_TYPE = 0 };

/* Pushes a new tagged userdata (with one user value) holding `object`. */
void gcshim_push_object(lua_State *L, uint32_t type, void *object);

/* What gcshim_object_at found at idx. */
enum {
    GCSHIM_OBJECT_OK = 0,   /* a live object of the type asked for (in *object) */
    GCSHIM_NOT_OBJECT = 1,  /* not a gcgap userdata at all */
    GCSHIM_OTHER_TYPE = 2,  /* a gcgap userdata of another type */
    GCSHIM_FREED = 3        /* of that type, but its __gc has run (called by hand) */
};
int gcshim_object_at(lua_State *L, int idx, uint32_t type, void **object);

/* The type id in *type and 1 (live) or 2 (finalized) when idx holds a gcgap userdata, else 0. */
int gcshim_object_type(lua_State *L, int idx, uint32_t *type);

/* Marks the metatable at idx as gcgap's (for messages about impostors only). */
void gcshim_mark_metatable(lua_State *L, int idx);
/* 1 when the value at idx has a metatable marked as gcgap's. Cannot raise. */
int gcshim_has_marked_metatable(lua_State *L, int idx);

/* Finalizer for tagged userdata: calls `release` on the object once and clears it. Pure C,
 * so lua_close can run it while the Swift host is going away. */
typedef void (*gcshim_release_fn)(void *object);
void gcshim_set_releaser(gcshim_release_fn fn);
void gcshim_push_object_gc(lua_State *L);

/* ---- protected helpers (each runs inside lua_pcall) --------------------- */

/* The message handler of lua.c: adds a traceback to a string message. */
int gcshim_msghandler(lua_State *L);

/* luaL_openlibs under protection; `noenv` sets LUA_NOENV first (-E). Returns a status. */
int gcshim_openlibs(lua_State *L, int noenv);

/* luaL_tolstring under protection: pushes the string (or the error message); returns status. */
int gcshim_tolstring(lua_State *L, int idx);

/* luaL_traceback, for a message already on the stack. */
void gcshim_traceback(lua_State *L, const char *msg, int level);

/* ---- interrupts (SIGINT) ------------------------------------------------ */
enum {
    GCSHIM_SIGINT_DEFAULT = 0, /* the system's default action */
    GCSHIM_SIGINT_PROMPT = 1,  /* only set the flag (the REPL's line editor polls it) */
    GCSHIM_SIGINT_RUNNING = 2  /* set the flag and a hook on L that raises "interrupted!" */
};
void gcshim_sigint_mode(lua_State *L, int mode);
/* Non-zero when Ctrl-C was pressed since the last clear. */
int gcshim_interrupt_pending(void);
/* Installs the count hook that stops on Ctrl-C and on a tripped sandbox limit. */
void gcshim_set_watch(lua_State *L);
/* Clears the flag and removes the interrupt hook from the running state. */
void gcshim_interrupt_clear(void);

#endif
