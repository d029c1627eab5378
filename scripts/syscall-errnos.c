/*
 * The errnos Linux gives for the mistakes the library maps to errnos (SimulatedKernel's mmap,
 * munmap, mprotect, madvise, write and setHeapSize): lengths of 0, "negative" lengths (a negative
 * page count as the size_t it becomes), addresses beyond TASK_SIZE, ranges that wrap, file offsets
 * past MAX_LFS_FILESIZE. Measured on Linux 6.18 (x86_64) for the safe-API work of issue 15:
 *
 *   gcc -O0 -w -o /tmp/syscall-errnos scripts/syscall-errnos.c && /tmp/syscall-errnos
 *
 * It only maps, changes and unmaps its own memory at 0x100000000000 and 0x200000000000, and a
 * temporary file.
 * (It leaves out madvise(MADV_DONTNEED) with a length that does not wrap: that zaps the whole
 * address space of the caller, the test program included.)
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/syscall.h>
#define P 4096UL
static void show(const char *what, long r){ printf("%-60s -> %s\n", what, r<0||r==(long)MAP_FAILED? strerrorname_np(errno) : "ok"); }
static void offsets(void){

  int fd=open("/tmp/syscall-errnos-file",O_RDWR|O_CREAT,0600); ftruncate(fd,P);
  void *a=(void*)0x200000000000UL;
  show("anon private off -1p", (void*)syscall(SYS_mmap,a,P,3,MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE,-1,-P)); munmap(a,P);
  show("anon shared off -1p", (void*)syscall(SYS_mmap,a,P,3,MAP_SHARED|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE,-1,-P)); munmap(a,P);
  show("file off (2^51-2)p len 1p", (void*)syscall(SYS_mmap,a,P,3,MAP_SHARED|MAP_FIXED_NOREPLACE,fd,((1L<<51)-2)*P)); munmap(a,P);
  show("file off (2^51-1)p len 1p", (void*)syscall(SYS_mmap,a,P,3,MAP_SHARED|MAP_FIXED_NOREPLACE,fd,((1L<<51)-1)*P)); munmap(a,P);
  show("file off (2^51-3)p len 2p", (void*)syscall(SYS_mmap,a,2*P,3,MAP_SHARED|MAP_FIXED_NOREPLACE,fd,((1L<<51)-3)*P)); munmap(a,2*P);
  show("file off (2^51-2)p len 2p", (void*)syscall(SYS_mmap,a,2*P,3,MAP_SHARED|MAP_FIXED_NOREPLACE,fd,((1L<<51)-2)*P)); munmap(a,2*P);
  int z=open("/dev/zero",O_RDWR);
  show("/dev/zero private off -1p", (void*)syscall(SYS_mmap,a,P,3,MAP_PRIVATE|MAP_FIXED_NOREPLACE,z,-P)); munmap(a,P);
  int s=open("/dev/shm/safeapi",O_RDWR|O_CREAT,0600);
  show("shmem off -1p", (void*)syscall(SYS_mmap,a,P,3,MAP_SHARED|MAP_FIXED_NOREPLACE,s,-P)); munmap(a,P);
  show("shmem off (2^51-1)p", (void*)syscall(SYS_mmap,a,P,3,MAP_SHARED|MAP_FIXED_NOREPLACE,s,((1L<<51)-1)*P)); munmap(a,P);
  unlink("/dev/shm/safeapi");
    unlink("/tmp/syscall-errnos-file");
}
int main(){
  setvbuf(stdout,0,_IONBF,0);
  char *base = mmap((void*)0x100000000000UL, 16*P, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE, -1, 0);
  unsigned long b=(unsigned long)base;
  unsigned long neg5 = (unsigned long)(-5L*(long)P), neg3=(unsigned long)(-3L*(long)P);
  unsigned long ts = 0x7ffffffff000UL;
  errno=0; show("mmap len 0", (long)mmap((void*)(b+32*P),0,3,MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE,-1,0));
  errno=0; show("mmap len -5 pages FIXED_NOREPLACE", (long)mmap((void*)(b+32*P),neg5,3,MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE,-1,0));
  errno=0; show("mmap len -5 pages no hint", (long)mmap(0,neg5,3,MAP_PRIVATE|MAP_ANONYMOUS,-1,0));
  errno=0; show("mmap addr huge (neg) NOREPLACE len 1p", (long)mmap((void*)(unsigned long)(-4L*(long)P),P,3,MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE,-1,0));
  errno=0; show("mmap addr TASK_SIZE-1p len 2p NOREPLACE", (long)mmap((void*)(ts-P),2*P,3,MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE,-1,0));
  errno=0; show("mmap file offset negative (-1 page)", (long)mmap((void*)(b+32*P),P,3,MAP_PRIVATE|MAP_FIXED_NOREPLACE,open("/etc/passwd",O_RDONLY),(off_t)-4096));
  errno=0; show("munmap len 0", syscall(SYS_munmap,b,0));
  errno=0; show("munmap len -3 pages", syscall(SYS_munmap,b+8*P,neg3));
  errno=0; show("munmap addr neg", syscall(SYS_munmap,(unsigned long)(-4L*(long)P),P));
  errno=0; show("munmap addr TASK_SIZE-1p len 2p", syscall(SYS_munmap,ts-P,2*P));
  errno=0; show("munmap unmapped range", syscall(SYS_munmap,b+100*P,P));
  errno=0; show("mprotect len 0", syscall(SYS_mprotect,b,0,1));
  errno=0; show("mprotect len -3 pages at b+8p", syscall(SYS_mprotect,b+8*P,neg3,1));
  errno=0; show("mprotect len -3 pages at 1p", syscall(SYS_mprotect,P,neg3,1));
  errno=0; show("mprotect addr neg", syscall(SYS_mprotect,(unsigned long)(-4L*(long)P),P,1));
  errno=0; show("mprotect addr TASK_SIZE-1p len 2p", syscall(SYS_mprotect,ts-P,2*P,1));
  errno=0; show("madvise len 0", syscall(SYS_madvise,b,0,MADV_MERGEABLE));
  errno=0; show("madvise len -3 pages MERGEABLE", syscall(SYS_madvise,b+8*P,neg3,MADV_MERGEABLE));
  errno=0; show("madvise len -3 pages at 1p UNMERGEABLE", syscall(SYS_madvise,P,neg3,MADV_UNMERGEABLE));
  errno=0; show("madvise addr neg MERGEABLE", syscall(SYS_madvise,(unsigned long)(-4L*(long)P),P,MADV_MERGEABLE));
  errno=0; show("madvise addr TASK_SIZE-1p len 2p MERGEABLE", syscall(SYS_madvise,ts-P,2*P,MADV_MERGEABLE));
  errno=0; show("madvise addr TASK_SIZE-1p len 2p DONTNEED", syscall(SYS_madvise,ts-P,2*P,MADV_DONTNEED));
  int fd=open("/proc/self/mem",O_RDWR);
  char buf[4096]={1};
  errno=0; show("pwrite /proc/self/mem count 0", pwrite(fd,buf,0,(off_t)b));
  errno=0; show("write /proc/self/mem count -3 pages (lseek b)", (lseek(fd,(off_t)b,SEEK_SET), write(fd,buf,neg3)));
  errno=0; show("pwrite /proc/self/mem offset neg (syscall)", syscall(SYS_pwrite64,fd,buf,P,(long)-4096));
  errno=0; lseek(fd,(off_t)-4096,SEEK_SET); show("lseek -4096 then write", write(fd,buf,P));
  errno=0; show("pwrite at TASK_SIZE", pwrite(fd,buf,P,(off_t)ts));
  errno=0; show("pwrite at unmapped", pwrite(fd,buf,P,(off_t)(b+100*P)));
  errno=0; show("brk(-1)", syscall(SYS_brk,(unsigned long)-1L));
    offsets();
  return 0;
}
