package io.starling.internal.engine;

import io.starling.Starling;
import io.starling.StarlingConfig;

public final class DefaultStarling {
    public static Starling open(StarlingConfig config) {
        throw new UnsupportedOperationException("in progress");
    }
}
