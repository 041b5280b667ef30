/*
 * The "escape attempts" attack of bench/detect-scenarios: the syscalls container breakouts start
 * with, each tried once and allowed to fail (Docker's default seccomp profile and the missing
 * capabilities deny them): ptrace (of a PID that does not exist: attaching to the container's PID 1
 * would stop the workload for good), keyctl on the session keyring, unshare of the user and mount
 * namespaces, mount of a tmpfs. Static, so it runs in the busybox image.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
  long r1 = ptrace(PTRACE_ATTACH, 4000000, 0, 0);
  long r2 = syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, 0);
  int r3 = unshare(CLONE_NEWUSER | CLONE_NEWNS);
  int r4 = mount("none", "/mnt", "tmpfs", 0, 0);
  printf("ptrace %ld keyctl %ld unshare %d mount %d\n", r1, r2, r3, r4);
  return 0;
}
