package io.masterwork.posix;

/**
 * One datagram received with the sender's credentials (SCM_CREDENTIALS, the kernel's word, not the
 * sender's): how systemd tells the main process's notifications from anyone else's.
 */
public record SenderCredentials(int bytes, Credentials sender) {
}
