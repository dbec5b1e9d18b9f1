package io.mobileformer.streams.ingest;

import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SourcePolicyTest {
    private static final List<String> DEFAULT = List.of("rtsp", "rtsps", "https", "file");

    @TempDir
    Path dir;

    private SourcePolicy policy() throws Exception {
        Files.createDirectories(dir.resolve("videos/sub"));
        Files.write(dir.resolve("videos/sub/a.ts"), new byte[188]);
        Files.write(dir.resolve("secret.ts"), new byte[188]);
        return new SourcePolicy(DEFAULT, dir.resolve("videos").toString());
    }

    private static String refusal(final SourcePolicy p, final String url) {
        return assertThrows(ConfigException.class, () -> p.resolve("cam1", url)).getMessage();
    }

    @Test
    void allowedNetworkSchemesPassWithCredentialsKeptForFfmpegButNotShown() throws Exception {
        final SourceLocation s = policy().resolve("cam1", "rtsp://admin:pw1234@10.0.0.5/ch1");
        assertEquals("rtsp", s.scheme());
        assertEquals("rtsp://admin:pw1234@10.0.0.5/ch1", s.input());
        assertEquals("rtsp://***@10.0.0.5/ch1", s.display());
        assertEquals("https", policy().resolve("c", "HTTPS://nvr/live.m3u8").scheme());
    }

    @Test
    void otherSchemesAreRefusedNamingTheSetting() throws Exception {
        final SourcePolicy p = policy();
        final String http = refusal(p, "http://user:pw1234@cam/mjpeg");
        assertTrue(http.contains("scheme 'http' is not allowed") && http.contains("source.schemes"), http);
        assertFalse(http.contains("pw1234"), "credentials never appear in the message: " + http);
        for (final String url : List.of("concat:/etc/passwd|x", "subfile:,,start,0,end,0,,:/etc/passwd",
            "pipe:0", "data:video/mp2t;base64,AAAA", "udp://0.0.0.0:1234", "rtmp://host/app")) {
            final String m = refusal(p, url);
            assertTrue(m.contains("is not allowed") && m.contains("supported schemes"), m);
        }
    }

    @Test
    void httpCanBeAllowedExplicitly() {
        assertEquals("http", new SourcePolicy(List.of("http"), "").resolve("c", "http://cam/stream").scheme());
        final ConfigException e = assertThrows(ConfigException.class, () -> new SourcePolicy(List.of("rtmp"), ""));
        assertTrue(e.getMessage().contains("not supported"), e.getMessage());
    }

    @Test
    void filesResolveUnderTheRoot() throws Exception {
        final SourcePolicy p = policy();
        final Path real = dir.resolve("videos/sub/a.ts").toRealPath();
        for (final String url : List.of("sub/a.ts", "file:sub/a.ts", "file://" + real, real.toString(),
            "sub/../sub/a.ts")) {
            final SourceLocation s = p.resolve("cam1", url);
            assertEquals("file:" + real, s.input(), url);
            assertTrue(s.isFile());
        }
    }

    @Test
    void pathsThatLeaveTheRootAreRefused() throws Exception {
        final SourcePolicy p = policy();
        for (final String url : List.of("../secret.ts", "sub/../../secret.ts", "file:../secret.ts",
            dir.resolve("secret.ts").toString(), "/etc/passwd")) {
            assertTrue(refusal(p, url).contains("leads outside source.file.root"), url);
        }
    }

    @Test
    void symlinksThatLeaveTheRootAreRefused() throws Exception {
        final SourcePolicy p = policy();
        Files.createSymbolicLink(dir.resolve("videos/link.ts"), dir.resolve("secret.ts"));
        Files.createSymbolicLink(dir.resolve("videos/outside"), dir);
        assertTrue(refusal(p, "link.ts").contains("symbolic link leads outside"));
        assertTrue(refusal(p, "outside/secret.ts").contains("symbolic link leads outside"));
        // a link that stays inside is fine
        Files.createSymbolicLink(dir.resolve("videos/inside.ts"), dir.resolve("videos/sub/a.ts"));
        assertEquals("file:" + dir.resolve("videos/sub/a.ts").toRealPath(), p.resolve("c", "inside.ts").input());
    }

    @Test
    void filesNeedARootAndMustExist() throws Exception {
        final String noRoot = refusal(new SourcePolicy(DEFAULT, ""), "a.ts");
        assertTrue(noRoot.contains("source.file.root, which is not set"), noRoot);
        assertTrue(refusal(policy(), "missing.ts").contains("does not exist"));
        assertTrue(refusal(policy(), "sub").contains("not a readable regular file"));
    }
}
