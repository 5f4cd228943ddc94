#include "gcshim.h"
#include "gclimits.h"
#include <pthread.h>
#include <signal.h>
#include <string.h>

static gcshim_dispatch_fn dispatcher = NULL;

void gcshim_set_dispatcher(gcshim_dispatch_fn fn) { dispatcher = fn; }

/* The key (its address) of the marker every gcgap metatable carries. It is not what makes a
 * userdata gcgap's (a script can give any userdata that metatable with debug.setmetatable):
 * it only lets error messages tell such an impostor apart from a plain userdata. */
static const char object_marker = 0;

void gcshim_mark_metatable(lua_State *L, int idx) {
    idx = lua_absindex(L, idx);
    lua_pushboolean(L, 1);
    lua_rawsetp(L, idx, &object_marker);
}

int gcshim_has_marked_metatable(lua_State *L, int idx) {
    int marked;
    if (!lua_getmetatable(L, idx)) return 0;
    lua_rawgetp(L, -1, &object_marker);
    marked = lua_toboolean(L, -1);
    lua_pop(L, 2);
    return marked;
}

/* What makes a userdata gcgap's: its own memory block is exactly a gcshim_object whose magic
 * matches. Only gcshim_push_object and gcshim_push_swift_function create such blocks. */
static gcshim_object *tagged(lua_State *L, int idx) {
    gcshim_object *o;
    if (lua_type(L, idx) != LUA_TUSERDATA || lua_rawlen(L, idx) != sizeof(gcshim_object)) return NULL;
    o = (gcshim_object *)lua_touserdata(L, idx);
    return (o != NULL && o->magic == GCSHIM_OBJECT_MAGIC) ? o : NULL;
}

void gcshim_push_object(lua_State *L, uint32_t type, void *object) {
    gcshim_object *o = (gcshim_object *)lua_newuserdatauv(L, sizeof(gcshim_object), 1);
    o->magic = GCSHIM_OBJECT_MAGIC;
    o->type = type;
    o->reserved = 0;
    o->object = object;
}

int gcshim_object_at(lua_State *L, int idx, uint32_t type, void **object) {
    gcshim_object *o = tagged(L, idx);
    *object = NULL;
    if (o == NULL) return GCSHIM_NOT_OBJECT;
    if (o->type != type) return GCSHIM_OTHER_TYPE;
    if (o->object == NULL) return GCSHIM_FREED;
    *object = o->object;
    return GCSHIM_OBJECT_OK;
}

int gcshim_object_type(lua_State *L, int idx, uint32_t *type) {
    gcshim_object *o = tagged(L, idx);
    if (o == NULL) return 0;
    *type = o->type;
    return o->object != NULL ? 1 : 2;
}

static int trampoline(lua_State *L) {
    void *box = NULL;
    int n;
    /* the upvalue can be replaced from Lua (debug.setupvalue): it is checked by its tag */
    if (dispatcher == NULL) return luaL_error(L, "gcgap: native function called without its dispatcher");
    if (gcshim_object_at(L, lua_upvalueindex(1), GCSHIM_NATIVE_TYPE, &box) != GCSHIM_OBJECT_OK)
        return luaL_error(L, "gcgap: native function without its box (its upvalue was replaced or finalized)");
    /* room for what a native function pushes (C functions are promised only LUA_MINSTACK) */
    if (!lua_checkstack(L, 64)) return luaL_error(L, "stack overflow (no room for a native call)");
    gclimits_native_call(L, 1);
    n = dispatcher(L, box); /* the Swift frame is gone once this returns */
    gclimits_native_call(L, -1);
    if (n >= 0 && gclimits_tripped_message(L) != NULL) return luaL_error(L, "%s", gclimits_tripped_message(L));
    if (n >= 0) return n;
    if (n == GCSHIM_ERROR && lua_type(L, -1) == LUA_TSTRING) {
        luaL_where(L, 1);
        lua_insert(L, -2);
        lua_concat(L, 2);
    }
    return lua_error(L);
}

static gcshim_release_fn releaser = NULL;

void gcshim_set_releaser(gcshim_release_fn fn) { releaser = fn; }

/* Releases the object of a tagged userdata once; anything else (a foreign userdata given a
 * gcgap metatable, or this function called by hand on any value) is left alone. */
static int object_gc(lua_State *L) {
    gcshim_object *o = tagged(L, 1);
    if (o != NULL && o->object != NULL && releaser != NULL) {
        void *obj = o->object;
        o->object = NULL;
        releaser(obj);
    }
    return 0;
}

void gcshim_push_object_gc(lua_State *L) { lua_pushcfunction(L, object_gc); }

void gcshim_push_swift_function(lua_State *L, void *box) {
    gcshim_push_object(L, GCSHIM_NATIVE_TYPE, box);
    if (luaL_newmetatable(L, "gcgap.native")) {
        lua_pushcfunction(L, object_gc);
        lua_setfield(L, -2, "__gc");
        lua_pushboolean(L, 0);
        lua_setfield(L, -2, "__metatable"); /* the box is not reachable from Lua anyway */
        gcshim_mark_metatable(L, -1);
    }
    lua_setmetatable(L, -2);
    lua_pushcclosure(L, trampoline, 1);
}

int gcshim_msghandler(lua_State *L) {
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            return 1;
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

static int openlibs_protected(lua_State *L) {
    if (lua_toboolean(L, 1)) {
        lua_pushboolean(L, 1);
        lua_setfield(L, LUA_REGISTRYINDEX, "LUA_NOENV");
    }
    luaL_openlibs(L);
    return 0;
}

int gcshim_openlibs(lua_State *L, int noenv) {
    lua_pushcfunction(L, openlibs_protected);
    lua_pushboolean(L, noenv);
    return lua_pcall(L, 1, 0, 0);
}

static int tolstring_protected(lua_State *L) {
    luaL_tolstring(L, 1, NULL);
    return 1;
}

int gcshim_tolstring(lua_State *L, int idx) {
    idx = lua_absindex(L, idx);
    lua_pushcfunction(L, tolstring_protected);
    lua_pushvalue(L, idx);
    return lua_pcall(L, 1, 1, 0);
}

void gcshim_traceback(lua_State *L, const char *msg, int level) {
    luaL_traceback(L, L, msg, level);
}

/* ---- SIGINT, after lua.c ------------------------------------------------ */
static lua_State *volatile sigint_state = NULL;
static volatile sig_atomic_t interrupt_flag = 0;
static volatile sig_atomic_t sigint_mode = GCSHIM_SIGINT_DEFAULT;

/* Every thread created while Lua runs under the interrupt handler inherits this count hook
 * (lua_newthread copies its creator's hook), so a loop inside a coroutine, which the signal
 * handler cannot name, still stops within WATCH_COUNT instructions of a Ctrl-C. */
#define WATCH_COUNT 1000
static void watch(lua_State *L, lua_Debug *ar) {
    (void)ar;
    if (interrupt_flag) luaL_error(L, "interrupted!");
    if (gclimits_check()) luaL_error(L, "%s", gclimits_message()); /* a sandbox's limit: stays tripped */
}

static void set_watch(lua_State *L) { lua_sethook(L, watch, LUA_MASKCOUNT, WATCH_COUNT); }
void gcshim_set_watch(lua_State *L) { set_watch(L); }

static void lstop(lua_State *L, lua_Debug *ar) {
    (void)ar;
    set_watch(L);
    interrupt_flag = 0;
    luaL_error(L, "interrupted!");
}

static void on_sigint(int sig) {
    (void)sig;
    interrupt_flag = 1;
    if (sigint_mode == GCSHIM_SIGINT_RUNNING && sigint_state != NULL) {
        int mask = LUA_MASKCALL | LUA_MASKRET | LUA_MASKLINE | LUA_MASKCOUNT;
        lua_sethook(sigint_state, lstop, mask, 1);
    }
}

void gcshim_sigint_mode(lua_State *L, int mode) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sigint_mode = mode;
    sigint_state = (mode == GCSHIM_SIGINT_RUNNING) ? L : NULL;
    if (mode == GCSHIM_SIGINT_DEFAULT) {
        sa.sa_handler = SIG_DFL;
    } else {
        sa.sa_handler = on_sigint;
        sa.sa_flags = 0; /* no SA_RESTART: a blocking read returns EINTR at the prompt */
    }
    sigaction(SIGINT, &sa, NULL);
    if (mode != GCSHIM_SIGINT_DEFAULT) {
        /* a parent may have started us with SIGINT blocked (masks survive exec) */
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    }
    if (L != NULL) {
        if (mode == GCSHIM_SIGINT_RUNNING) set_watch(L); else lua_sethook(L, NULL, 0, 0);
    }
}

int gcshim_interrupt_pending(void) { return interrupt_flag != 0 || gclimits_check() != 0; }

void gcshim_interrupt_clear(void) {
    lua_State *L = sigint_state;
    interrupt_flag = 0;
    if (L != NULL) set_watch(L);
}
