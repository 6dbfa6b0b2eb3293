package io.starling.internal.cdc.kafka;

/** The Kafka sink cannot start as configured: a cursor file it cannot read or does not understand. */
public final class KafkaSinkException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    KafkaSinkException(String message) {
        super(message);
    }

    KafkaSinkException(String message, Throwable cause) {
        super(message, cause);
    }
}
