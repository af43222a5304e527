package io.flotilla.manager;

/** A node's status on the node registry (the Incompliant flag is separate). */
public enum NodeStatus {
    NONE,
    ACTIVE,
    IN_MAINTENANCE,
    LEAVING,
    LEFT;

    static NodeStatus of(int ordinal) {
        return values()[ordinal];
    }
}
