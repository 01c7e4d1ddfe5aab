package io.masterwork.api;

/**
 * Another worker of the same master whose inbox this worker holds (announced by OPEN_CHANNEL).
 *
 * @param slot its slot in the master's process table
 * @param pid  its pid
 */
public record Sibling(long slot, int pid) {
}
