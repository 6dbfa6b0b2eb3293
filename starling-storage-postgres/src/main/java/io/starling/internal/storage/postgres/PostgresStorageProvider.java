package io.starling.internal.storage.postgres;

import io.starling.internal.storage.DocumentStorage;
import io.starling.internal.storage.StorageProvider;

/**
 * Opens {@link PostgresStorage} for {@code jdbc:postgresql:} URLs, keeping each document's current value as
 * {@code jsonb} ({@link DocumentValues}). Found by the engine through {@link java.util.ServiceLoader}.
 */
public final class PostgresStorageProvider implements StorageProvider {

    @Override
    public String name() {
        return "postgresql";
    }

    @Override
    public boolean accepts(String url) {
        return url.startsWith(PostgresStorage.URL_PREFIX);
    }

    @Override
    public DocumentStorage open(String url) {
        return PostgresStorage.open(url, PostgresStorage.Options.defaults().withValues(DocumentValues.INSTANCE));
    }
}
