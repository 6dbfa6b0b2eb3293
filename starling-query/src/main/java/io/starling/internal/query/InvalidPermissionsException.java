package io.starling.internal.query;

/**
 * Permissions that cannot be accepted: not the documented shape, a collection name that is not valid, a condition
 * that is not DQL or uses an argument other than {@code :userId} and {@code :metadata}, or past a limit. The message
 * starts with where the input is wrong ({@code read.queriesByCollection.tasks[0]: is not a DQL condition: …}).
 */
public final class InvalidPermissionsException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final String member;

    public InvalidPermissionsException(String member, String problem) {
        super(member + ": " + problem);
        this.member = member;
    }

    /** Where in the permissions the problem is: {@code read.queriesByCollection.tasks[0]}. */
    public String member() {
        return member;
    }
}
