import Glibc

/// Whether the host-kernel tests can run here: they need root and KSM (`/sys/kernel/mm/ksm`).
enum HostKernel {
    static var available: Bool { geteuid() == 0 && access("/sys/kernel/mm/ksm", F_OK) == 0 }
}
