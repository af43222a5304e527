package io.flotilla.manager;

/**
 * A draw of a chain requested and not finalized yet: its outcome is fixed by the hash of block {@code seedBlock};
 * anyone may finalize it from the next block on.
 *
 * @param leavingNode the member an exit or liveness rotation replaces; 0 for creation and periodic rotation
 */
public record PendingDraw(long chainId, Kind kind, long seedBlock, long leavingNode) {

    /** What the draw does once finalized; NONE when nothing is pending. */
    public enum Kind {
        NONE,
        CREATION,
        NODE_EXIT,
        PERIODIC,
        LIVENESS,
        /** A resize that grows the chain (docs/contracts.md, "Resizing a chain"). */
        RESIZE
    }

    public boolean pending() {
        return kind != Kind.NONE;
    }
}
