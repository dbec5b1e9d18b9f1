package io.mobileformer.streams.model;

import ai.onnx.proto.OnnxMl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelContractTest {

    @Test
    void theShippedModelsConform() throws Exception {
        final ModelContract c = ModelContract.load(Path.of("models/tiny-centernet.onnx"));
        assertEquals(ModelFormat.CENTERNET, c.format());
        assertEquals(128, c.inputWidth());
        assertEquals(8, c.stride());
        assertEquals(64, c.sha256().length());
        final ModelContract d = ModelContract.load(Path.of("models/tiny-detr.onnx"));
        assertEquals(ModelFormat.DETR, d.format());
        assertEquals(ResizeMode.LETTERBOX, d.resize());
        assertEquals(160, d.inputWidth());
        assertEquals(96, d.inputHeight());
    }

    @Test
    void aModelWithoutMetadataIsRefusedWithEveryProblemListed(@TempDir final Path dir) throws Exception {
        final OnnxMl.ModelProto m = OnnxMl.ModelProto.parseFrom(Files.readAllBytes(Path.of(
            "models/tiny-centernet.onnx")));
        final OnnxMl.ModelProto.Builder b = m.toBuilder().clearMetadataProps();
        b.addMetadataProps(OnnxMl.StringStringEntryProto.newBuilder().setKey("mf.format").setValue("yolo"));
        final Path f = dir.resolve("bad.onnx");
        Files.write(f, b.build().toByteArray());
        final ModelContract.InvalidModelException e = assertThrows(ModelContract.InvalidModelException.class,
            () -> ModelContract.load(f));
        assertTrue(e.getMessage().contains("missing metadata_props mf.input, mf.labels, mf.mean, mf.resize, mf.std, "
            + "mf.variant, mf.version"), e.getMessage());
        assertTrue(e.getMessage().contains("mf.format 'yolo' is not one of centernet, detr"), e.getMessage());
    }

    @Test
    void wrongOutputsAndSizesAreNamed(@TempDir final Path dir) throws Exception {
        final OnnxMl.ModelProto m = OnnxMl.ModelProto.parseFrom(Files.readAllBytes(Path.of(
            "models/tiny-centernet.onnx")));
        final OnnxMl.ModelProto.Builder b = m.toBuilder();
        for (int i = 0; i < b.getMetadataPropsCount(); i++) {
            if (b.getMetadataProps(i).getKey().equals("mf.input")) {
                b.setMetadataProps(i, b.getMetadataProps(i).toBuilder().setValue("320x320"));
            }
        }
        b.getGraphBuilder().getOutputBuilder(1).setName("sizes");
        final Path f = dir.resolve("bad.onnx");
        Files.write(f, b.build().toByteArray());
        final ModelContract.InvalidModelException e = assertThrows(ModelContract.InvalidModelException.class,
            () -> ModelContract.load(f));
        assertTrue(e.getMessage().contains("mf.input says 320x320"), e.getMessage());
        assertTrue(e.getMessage().contains("missing [wh]"), e.getMessage());
    }

    @Test
    void notOnnxAtAll(@TempDir final Path dir) throws Exception {
        final Path f = dir.resolve("x.onnx");
        Files.writeString(f, "hello");
        assertThrows(ModelContract.InvalidModelException.class, () -> ModelContract.load(f));
    }
}
