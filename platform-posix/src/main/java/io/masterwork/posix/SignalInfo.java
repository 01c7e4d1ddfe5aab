package io.masterwork.posix;

/** One signal read from a signalfd: which, and who sent it (0 for the kernel). */
public record SignalInfo(Signal signal, int number, int senderPid, int senderUid) {
}
