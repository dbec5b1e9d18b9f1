package io.mobileformer.streams.media;

import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CredentialRedactorTest {

    @Test
    void userInfoOfAnyUrlIsMasked() {
        assertEquals("cannot open rtsp://***@10.0.0.5:554/Streaming/101",
            CredentialRedactor.redact("cannot open rtsp://admin:hunter2@10.0.0.5:554/Streaming/101"));
        assertEquals("rtsps://***@cam/x and https://***@nvr/live.m3u8", CredentialRedactor.redact(
            "rtsps://u:p@cam/x and https://token@nvr/live.m3u8"));
        assertEquals("\"rtsp://***@h/\"", CredentialRedactor.redact("\"rtsp://a:b@h/\""));
    }

    @Test
    void anAtSignInsideThePasswordDoesNotLeakItsTail() {
        final String out = CredentialRedactor.redact("Could not open input \"rtsp://admin:p@ss@cam.local/ch1\"");
        assertEquals("Could not open input \"rtsp://***@cam.local/ch1\"", out);
    }

    @Test
    void secretQueryParametersAreMasked() {
        assertEquals("https://nvr/live?camera=3&token=***&x=1", CredentialRedactor.redact(
            "https://nvr/live?camera=3&token=abc.def&x=1"));
        assertEquals("rtsp://cam/stream?user=admin&password=***", CredentialRedactor.redact(
            "rtsp://cam/stream?user=admin&password=s3cret"));
    }

    @Test
    void rememberedPasswordsAreMaskedEvenOutsideUrls() {
        CredentialRedactor.remember("rtsp://viewer:Tr0ub4dor%263@10.1.1.1/live");
        assertEquals("401 for *** and for ***", CredentialRedactor.redact(
            "401 for viewer:Tr0ub4dor%263 and for Tr0ub4dor&3"));
    }

    @Test
    void textWithoutCredentialsIsUnchanged() {
        final String s = "connection to rtsp://10.0.0.5:554/ch1 lost: End of file (user@example is fine in prose)";
        assertEquals(s, CredentialRedactor.redact(s));
        assertEquals(null, CredentialRedactor.redact(null));
    }

    @Test
    void describeRedactsTheWholeCauseChain() {
        final Exception e = new IOException("open rtsp://a:topsecret1@h/x failed",
            new IllegalStateException("retry rtsp://a:topsecret1@h/x"));
        final String d = CredentialRedactor.describe(e);
        assertFalse(d.contains("topsecret1"), d);
        assertTrue(d.startsWith("IOException: open rtsp://***@h/x failed; caused by IllegalStateException"), d);
    }
}
