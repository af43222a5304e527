package io.flotilla.subnode.config;

/**
 * The subnode image the chain runs (informational for the subnode; for the agent a change means a new container).
 *
 * @param version the image version the chain asks for
 * @param id the image digest, or empty when not pinned
 */
public record Image(String version, String id) {

    public Image {
        Check.notNull("version", version);
        Check.notNull("id", id);
    }
}
