package io.starling.internal.query;

import java.util.List;

/** What every statement carries for the executor: its argument references and its variable frame size. */
abstract class BaseStatement {
    final List<ArgUse> argUses;
    final int frameSize;

    BaseStatement(List<ArgUse> argUses, int frameSize) {
        this.argUses = List.copyOf(argUses);
        this.frameSize = frameSize;
    }
}
