#include "gclimits.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { TRIP_NONE = 0, TRIP_MEMORY = 1, TRIP_TIME = 2, TRIP_NATIVE = 3 };

struct gclimits {
    lua_Alloc base_alloc;
    void *base_ud;
    size_t lua_used, lua_cap, native_cap, native_base;
    double deadline, seconds;
    volatile int tripped;
    int native_depth; /* > 0 while a native (Swift) function runs: its allocations never fail */
    char message[160];
};

/* per thread: a state runs on one thread at a time, and the tests run sandboxes side by side */
static _Thread_local gclimits *current = NULL;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void trip(gclimits *g, int why) {
    if (g->tripped != TRIP_NONE) return;
    if (why == TRIP_MEMORY)
        snprintf(g->message, sizeof g->message, "memory limit exceeded (the Lua heap's cap is %zu bytes)", g->lua_cap);
    else if (why == TRIP_TIME)
        snprintf(g->message, sizeof g->message, "time limit exceeded (%g s)", g->seconds);
    else
        snprintf(g->message, sizeof g->message, "memory limit exceeded (native memory's cap is %zu bytes)", g->native_cap);
    g->tripped = why;
}

gclimits *gclimits_new(void) { return calloc(1, sizeof(gclimits)); }
void gclimits_free(gclimits *g) { if (current == g) current = NULL; free(g); }

/* Growth past the cap fails (Lua raises "not enough memory"), and so does every growth
 * after the memory limit tripped; frees and shrinks always succeed. */
static void *counting_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    gclimits *g = ud;
    size_t old = ptr != NULL ? osize : 0;
    if (nsize > old && (g->tripped == TRIP_MEMORY || (g->lua_cap > 0 && g->lua_used - old + nsize > g->lua_cap))) {
        trip(g, TRIP_MEMORY);
        /* a failed allocation raises a Lua error: never while a Swift frame is on the C
         * stack (the trampoline raises it once the native function has returned) */
        if (g->native_depth == 0) return NULL;
    }
    void *p = g->base_alloc(g->base_ud, ptr, osize, nsize);
    if (p != NULL || nsize == 0) g->lua_used = g->lua_used - old + nsize;
    return p;
}

void gclimits_install_allocator(lua_State *L, gclimits *g) {
    g->base_alloc = lua_getallocf(L, &g->base_ud);
    g->lua_used = (size_t)lua_gc(L, LUA_GCCOUNT, 0) * 1024 + (size_t)lua_gc(L, LUA_GCCOUNTB, 0);
    lua_setallocf(L, counting_alloc, g);
}

void gclimits_set(gclimits *g, size_t lua_cap, size_t native_cap, size_t native_base, double seconds) {
    g->lua_cap = lua_cap;
    g->native_cap = native_cap;
    g->native_base = native_base;
    g->seconds = seconds;
    g->deadline = seconds > 0 ? now() + seconds : 0;
}

static gclimits *limits_of(lua_State *L) {
    void *ud;
    return lua_getallocf(L, &ud) == counting_alloc ? ud : NULL;
}

void gclimits_native_call(lua_State *L, int delta) {
    gclimits *g = limits_of(L);
    if (g != NULL) g->native_depth += delta;
}

const char *gclimits_tripped_message(lua_State *L) {
    gclimits *g = limits_of(L);
    return g != NULL && g->tripped != TRIP_NONE ? g->message : NULL;
}

gclimits *gclimits_enter(gclimits *g) {
    gclimits *prev = current;
    current = g;
    return prev;
}

void gclimits_native_live(size_t bytes) {
    gclimits *g = current;
    if (g != NULL && g->native_cap > 0 && bytes > g->native_base && bytes - g->native_base > g->native_cap)
        trip(g, TRIP_NATIVE);
}

int gclimits_check(void) {
    gclimits *g = current;
    if (g == NULL) return TRIP_NONE;
    if (g->tripped == TRIP_NONE && g->deadline > 0 && now() > g->deadline) trip(g, TRIP_TIME);
    return g->tripped;
}

const char *gclimits_message(void) {
    gclimits *g = current;
    return g != NULL && g->tripped != TRIP_NONE ? g->message : NULL;
}
