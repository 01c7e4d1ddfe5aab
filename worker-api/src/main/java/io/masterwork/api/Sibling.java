package io.masterwork.api;

/** Another worker of the same master whose inbox this worker holds (announced by OPEN_CHANNEL). */
public record Sibling(long slot, int pid) {
}
