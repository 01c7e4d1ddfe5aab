package io.masterwork.api;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * Messages between the workers of one master, over the sibling inboxes (the channels nginx hands
 * every worker and never uses). Each worker holds the write end of every sibling's inbox, announced
 * by the master with OPEN_CHANNEL and withdrawn with CLOSE_CHANNEL; a message is one MESSAGE frame
 * carrying this worker's slot and pid and at most {@link #MAX_PAYLOAD} bytes.
 *
 * <p>Guarantees:
 * <ul>
 *   <li>Order per sender: the messages one thread sends to one sibling arrive in the order sent.</li>
 *   <li>The stage returned by {@link #send} completes when the kernel has taken the frame into the
 *       sibling's inbox; that is not a reply: a sibling that dies before reading it loses it. Ask for
 *       a reply in the application's own protocol when it matters.</li>
 *   <li>Never blocking: when the sibling's inbox is full, the message waits in a queue of at most
 *       {@link #QUEUE_LIMIT} messages per sibling, written as soon as the inbox can take it again
 *       (the event loop watches it for EPOLLOUT). Beyond the limit the send fails at once with
 *       {@link SiblingMessageException.Reason#INBOX_FULL}: that is the back-pressure signal.</li>
 *   <li>A message to a sibling that has gone fails with
 *       {@link SiblingMessageException.Reason#SIBLING_GONE} (or
 *       {@link SiblingMessageException.Reason#NO_SUCH_SIBLING} once the master withdrew it), both for a
 *       new send and for every message still queued for it.</li>
 * </ul>
 * Every failure is the exceptional completion of the returned stage with a
 * {@link SiblingMessageException}; {@code send} and {@code broadcast} never throw for those. The stages
 * complete on the worker's event loop: do not block in their callbacks.
 *
 * <p>Methods may be called from any thread; the work is done on the worker's event loop.
 */
public interface SiblingMessages {

    /** The longest payload a message carries, in bytes (the channel protocol's bound). */
    int MAX_PAYLOAD = 4096;

    /** Messages waiting per sibling while its inbox is full; one more fails with INBOX_FULL. */
    int QUEUE_LIMIT = 1024;

    /**
     * Who can be sent to now; a sibling found gone leaves the list at once.
     *
     * @return the siblings this worker can send to (a snapshot, ordered by slot; may be empty)
     */
    List<Sibling> siblings();

    /**
     * Sends {@code payload} (copied) to the sibling in {@code slot}.
     *
     * @param slot    the sibling's slot, as {@link Sibling#slot()} or {@link SiblingMessage#senderSlot()} names it
     * @param payload the application's bytes, at most {@link #MAX_PAYLOAD}
     *
     * @return completes when the frame is in the sibling's inbox; fails with a {@link SiblingMessageException}
     */
    CompletionStage<Void> send(long slot, byte[] payload);

    /**
     * Sends {@code payload} to every sibling held at the time of the call.
     *
     * @param payload the application's bytes, at most {@link #MAX_PAYLOAD}; copied
     *
     * @return one stage per sibling, as {@link #send} returns it (empty when this worker has no sibling)
     */
    Map<Sibling, CompletionStage<Void>> broadcast(byte[] payload);

    /**
     * The handler for messages that arrive in this worker's inbox, called on the event loop (never
     * block in it); replaces the previous one. Set it in {@link WorkerApplication#start}: the worker
     * reads its inbox only once the start stage has completed, so what siblings sent while it was
     * starting waits for the handler. A message read while no handler is set is dropped (logged at
     * debug). An exception thrown by the handler is logged; the next message is delivered normally.
     *
     * @param handler called with each message, on the event loop
     */
    void onMessage(Consumer<SiblingMessage> handler);
}
