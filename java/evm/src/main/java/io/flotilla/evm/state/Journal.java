package io.flotilla.evm.state;

import java.util.ArrayList;

/** An undo log: every state change registers how to take it back; a snapshot is a position in the log. */
public final class Journal {
    private final ArrayList<Runnable> undo = new ArrayList<>();

    public void record(Runnable revert) {
        undo.add(revert);
    }

    public int snapshot() {
        return undo.size();
    }

    public void revertTo(int snapshot) {
        for (int i = undo.size() - 1; i >= snapshot; i--) {
            undo.remove(i).run();
        }
    }
}
