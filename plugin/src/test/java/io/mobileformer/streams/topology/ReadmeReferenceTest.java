package io.mobileformer.streams.topology;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's configuration reference is generated from PipelineConfig; this keeps the two from drifting. */
class ReadmeReferenceTest {
    @Test
    void readmeHoldsTheGeneratedReference() throws Exception {
        final String readme = Files.readString(Path.of("README.md"));
        assertTrue(readme.contains(PipelineConfig.markdownReference().strip()),
            "README.md's configuration reference is stale: paste the output of ./mfs config-docs");
    }
}
