package io.masterwork.worker;

/** A worker could not initialise: logged with its reason, and the worker exits with status 2. */
public final class WorkerInitException extends RuntimeException {
    public WorkerInitException(String message) {
        super(message);
    }

    public WorkerInitException(String message, Throwable cause) {
        super(message, cause);
    }
}
