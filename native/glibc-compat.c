// Linked into the prebuild only (binding.gyp, static_libs): zlib and libelf, compiled against
// Debian 12's glibc 2.36, call fstat(), which glibc exports as a function only since 2.33. Node 20
// runs on glibc >= 2.28, so bind fstat to the implementation every glibc has (__fxstat, a compat
// symbol kept for old binaries). Hidden: used inside the addon only, never exported.
// No <sys/stat.h>: node-gyp builds with _FILE_OFFSET_BITS=64, whose header renames fstat to fstat64.
// On 64-bit targets struct stat and struct stat64 are the same, so one body serves both names.
struct stat;

#if defined(__x86_64__)
#define CX_FXSTAT_VERSION "GLIBC_2.2.5"
#define CX_STAT_VER 1 /* _STAT_VER_LINUX */
#elif defined(__aarch64__)
#define CX_FXSTAT_VERSION "GLIBC_2.17"
#define CX_STAT_VER 0 /* _STAT_VER_KERNEL */
#else
#error "glibc-compat.c: unsupported architecture"
#endif

extern int cx_fxstat(int ver, int fd, struct stat *buf);
__asm__(".symver cx_fxstat,__fxstat@" CX_FXSTAT_VERSION);

__attribute__((visibility("hidden"))) int fstat(int fd, struct stat *buf) {
  return cx_fxstat(CX_STAT_VER, fd, buf);
}

__attribute__((visibility("hidden"))) int fstat64(int fd, struct stat *buf) {
  return cx_fxstat(CX_STAT_VER, fd, buf);
}
