/*
 * lazylib.c - load the heavy optional shared libraries on first use.
 *
 * Why: netwarden links 12 libraries that only some commands use (cairo and
 * pango for `report`, libssh/mariadb/libpq/libxml2/libyaml for `inspect`,
 * libcurl for ClickHouse, libpcap for capture); with their dependencies that
 * was 84 shared objects and 74 MB. Loading and relocating them costs ~10 ms
 * warm and 100-200 ms with a cold page cache, on every command — also on
 * `netwarden query who`, which must answer in < 100 ms (issue 3).
 *
 * How: none of those libraries is linked. Instead, this file defines every
 * function netwarden calls from them (the list in lazylib_syms.h) as a
 * 6-byte x86-64 trampoline `jmp *slot`. A slot first points to a resolver
 * stub that saves the argument registers (integer, vector, %al for
 * variadic calls), dlopen()s the library by its soname (found by CMake,
 * NW_SONAME_*), dlsym()s the function, stores it in the slot and jumps to it
 * with the registers and stack as the caller left them. Later calls cost
 * one indirect jump. The code calling the libraries is unchanged.
 *
 * Limits: x86-64 SysV only (CMake links the libraries normally elsewhere:
 * NW_LAZY_LIBS=OFF); function symbols only (no library data objects); a
 * function not in the list fails at link time ("undefined reference"):
 * add it to lazylib_syms.h. A library that cannot be loaded when first
 * needed ends the process with exit code 3 and a message naming the
 * library and the package feature that needs it — the command that needs
 * it could not have run without it, and every other command still runs.
 * Thread-safe: the first resolution of each function takes a mutex.
 */
#include "nw/core.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#if !defined(__x86_64__)
#error "lazylib.c is x86-64 only; configure with -DNW_LAZY_LIBS=OFF"
#endif

/* One library: its soname (from CMake) and what needs it (for the error). */
struct nw_lazy_lib {
    const char *soname;
    const char *needed_for;
    void *handle;
};

/* One function: its slot (first member: the trampoline jumps through it). */
struct nw_lazy_sym {
    void *slot;
    const char *name;
    int lib;
};

enum {
#define NW_LAZY_LIB(id, soname, why) NW_LAZY_LIB_##id,
#include "lazylib_syms.h"
#undef NW_LAZY_LIB
    NW_LAZY_NLIBS
};

static struct nw_lazy_lib libs[NW_LAZY_NLIBS] = {
#define NW_LAZY_LIB(id, soname, why) [NW_LAZY_LIB_##id] = {soname, why, NULL},
#include "lazylib_syms.h"
#undef NW_LAZY_LIB
};

/* The resolver stubs (assembly below), and the slots pointing at them. */
#define NW_LAZY_FN(lib, name) extern char nw__lazy_r_##name[];
#include "lazylib_syms.h"
#undef NW_LAZY_FN

#define NW_LAZY_FN(lib, name)                                                                   \
    __attribute__((visibility("hidden"))) struct nw_lazy_sym nw__lazy_s_##name = {              \
        nw__lazy_r_##name, #name, NW_LAZY_LIB_##lib};
#include "lazylib_syms.h"
#undef NW_LAZY_FN

static pthread_mutex_t lazy_mu = PTHREAD_MUTEX_INITIALIZER;

/*
 * Called by the resolver stub with the function's descriptor: load its
 * library if needed, look the function up, store it in the slot and return
 * it. Never returns NULL: a library or function that cannot be found ends
 * the process (exit code 3) with a message saying what was needed.
 */
__attribute__((visibility("hidden"), used)) void *nw__lazy_resolve(struct nw_lazy_sym *s);
__attribute__((visibility("hidden"), used)) void *nw__lazy_resolve(struct nw_lazy_sym *s)
{
    struct nw_lazy_lib *l = &libs[s->lib];
    void *f;

    pthread_mutex_lock(&lazy_mu);
    if (l->handle == NULL && (l->handle = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL)) == NULL) {
        const char *e = dlerror();
        fprintf(stderr, "netwarden: %s needs the shared library %s, which cannot be loaded: %s; "
                "install it (scripts/deps.sh lists the packages)\n", l->needed_for, l->soname,
                e ? e : "unknown error");
        exit(NW_EXIT_RUNTIME);
    }
    f = dlsym(l->handle, s->name);
    if (f == NULL) {
        fprintf(stderr, "netwarden: %s needs %s from %s, which is missing there (library "
                "version too old?)\n", l->needed_for, s->name, l->soname);
        exit(NW_EXIT_RUNTIME);
    }
    __atomic_store_n(&s->slot, f, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&lazy_mu);
    return f;
}

/*
 * Common resolver path. Entered by a jmp from a function's trampoline with
 * the caller's return address on top (%rsp = 8 mod 16) and the function's
 * descriptor in %r11 (a scratch register the ABI leaves free at calls).
 * Saves every register that can carry an argument (%rdi %rsi %rdx %rcx %r8
 * %r9, %rax = vector-register count of a variadic call, %xmm0-7), calls
 * nw__lazy_resolve with the stack 16-byte aligned, restores them and jumps
 * to the function, which then returns straight to the caller.
 */
__asm__(".text\n"
        ".p2align 4\n"
        ".type nw__lazy_common,@function\n"
        "nw__lazy_common:\n"
        "  pushq %rdi\n  pushq %rsi\n  pushq %rdx\n  pushq %rcx\n"
        "  pushq %r8\n  pushq %r9\n  pushq %rax\n"
        "  subq $128, %rsp\n"
        "  movdqu %xmm0, 0(%rsp)\n  movdqu %xmm1, 16(%rsp)\n"
        "  movdqu %xmm2, 32(%rsp)\n  movdqu %xmm3, 48(%rsp)\n"
        "  movdqu %xmm4, 64(%rsp)\n  movdqu %xmm5, 80(%rsp)\n"
        "  movdqu %xmm6, 96(%rsp)\n  movdqu %xmm7, 112(%rsp)\n"
        "  movq %r11, %rdi\n"
        "  call nw__lazy_resolve\n"
        "  movq %rax, %r11\n"
        "  movdqu 0(%rsp), %xmm0\n  movdqu 16(%rsp), %xmm1\n"
        "  movdqu 32(%rsp), %xmm2\n  movdqu 48(%rsp), %xmm3\n"
        "  movdqu 64(%rsp), %xmm4\n  movdqu 80(%rsp), %xmm5\n"
        "  movdqu 96(%rsp), %xmm6\n  movdqu 112(%rsp), %xmm7\n"
        "  addq $128, %rsp\n"
        "  popq %rax\n  popq %r9\n  popq %r8\n  popq %rcx\n"
        "  popq %rdx\n  popq %rsi\n  popq %rdi\n"
        "  jmp *%r11\n"
        ".size nw__lazy_common, .-nw__lazy_common\n");

/* Per function: the public trampoline and its resolver stub. */
#define NW_LAZY_FN(lib, name)                                                                   \
    __asm__(".text\n"                                                                           \
            ".globl " #name "\n"                                                                \
            ".type " #name ",@function\n"                                                       \
            ".p2align 3\n" #name ":\n"                                                          \
            "  jmp *nw__lazy_s_" #name "(%rip)\n"                                               \
            ".size " #name ", .-" #name "\n"                                                    \
            ".globl nw__lazy_r_" #name "\n"                                                     \
            ".hidden nw__lazy_r_" #name "\n"                                                    \
            "nw__lazy_r_" #name ":\n"                                                           \
            "  leaq nw__lazy_s_" #name "(%rip), %r11\n"                                         \
            "  jmp nw__lazy_common\n");
#include "lazylib_syms.h"
#undef NW_LAZY_FN
