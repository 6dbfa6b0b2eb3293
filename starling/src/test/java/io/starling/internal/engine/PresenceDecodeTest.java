package io.starling.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A neighbour's PRESENCE is hostile input: every malformed view is refused whole, with a message that says why. */
class PresenceDecodeTest {
    private static final String PEER = "00000000000000a1";

    private static byte[] json(String s) {
        return s.replace('\'', '"').getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aWellFormedViewReadsBack() throws IOException {
        List<PresenceService.Record> records = PresenceService.decode(json("{'v': 1, 'records': [{'origin': '" + PEER
                + "', 'seq': 7, 'meta': {'name': 'dee', 'n': [1, 2]}," + " 'links': {'ffffffffffffffff': 'tcp'}}]}"));
        assertThat(records).hasSize(1);
        PresenceService.Record r = records.get(0);
        assertThat(r.origin()).isEqualTo(0xa1L);
        assertThat(r.sequence()).isEqualTo(7);
        assertThat(r.metadata()).isEqualTo(Map.of("name", "dee", "n", List.of(1L, 2L)));
        assertThat(r.links()).isEqualTo(Map.of(-1L, "tcp"));
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "[1, 2]                                                            | the presence view is not an object",
                "{'v': 2, 'records': []}                                           | unknown presence version 2",
                "{'v': '1', 'records': []}                                         | unknown presence version 1",
                "{'v': 1}                                                          | has no list of records",
                "{'v': 1, 'records': [5]}                                          | record 0 is not an object",
                "{'v': 1, 'records': [{'origin': 5, 'seq': 1}]}                    | record 0: origin is not a peer id",
                "{'v': 1, 'records': [{'origin': 'zz', 'seq': 1}]}                 | record 0: origin is not a peer id",
                "{'v': 1, 'records': [{'origin': 'gggggggggggggggg', 'seq': 1}]}   | record 0: origin is not a peer id",
                "{'v': 1, 'records': [{'origin': '" + PEER
                        + "'}]}                 | record 0: seq is not a 64-bit integer",
                "{'v': 1, 'records': [{'origin': '" + PEER
                        + "', 'seq': 1.5}]}     | record 0: seq is not a 64-bit integer",
                "{'v': 1, 'records': [{'origin': '" + PEER + "', 'seq': 99999999999999999999}]} | out of range of long",
                "{'v': 1, 'records': [{'origin': '" + PEER
                        + "', 'seq': 1, 'meta': 'x'}]} | record 0: meta is not an object",
                "{'v': 1, 'records': [{'origin': '" + PEER
                        + "', 'seq': 1, 'links': []}]} | record 0: links is not an object",
                "{'v': 1, 'records': [{'origin': '" + PEER
                        + "', 'seq': 1, 'links': {'x': 'tcp'}}]} | a link's peer is not",
                "{'v': 1, 'records': [{'origin': '" + PEER + "', 'seq': 1, 'links': {'" + PEER
                        + "': 3}}]} | not a short string",
            })
    void aMalformedViewIsRefusedWithWhy(String view, String why) {
        assertThatThrownBy(() -> PresenceService.decode(json(view.strip())))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(why.strip());
    }

    @Test
    void metadataLargerThanAPeerMaySetForItselfIsRefused() {
        String big = "x".repeat(PresenceService.MAX_METADATA_BYTES);
        assertThatThrownBy(() -> PresenceService.decode(json(
                        "{'v': 1, 'records': [{'origin': '" + PEER + "', 'seq': 1, 'meta': {'b': '" + big + "'}}]}")))
                .hasMessageContaining("record 0: metadata of " + (big.length() + 8) + " bytes; the limit is 4096");
    }

    @Test
    void aPeerSendingMalformedViewsIsCountedAndTheGraphKeepsWhatItHad() {
        AtomicLong now = new AtomicLong(1_000);
        PresenceService presence = new PresenceService(1, now::get);
        var before = presence.graph();
        for (int i = 0; i < 1_000; i++) presence.received(0xa1L, json("{'v': 1, 'records': [{'origin': " + i + "}]}"));
        presence.received(0xa1L, new byte[] {(byte) 0xff, 0});
        assertThat(presence.malformedViews()).isEqualTo(1_001);
        assertThat(presence.graph()).isEqualTo(before);
    }
}
