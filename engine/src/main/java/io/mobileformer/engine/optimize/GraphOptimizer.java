package io.mobileformer.engine.optimize;

import io.mobileformer.engine.graph.Graph;
import io.mobileformer.engine.graph.GraphException;
import io.mobileformer.engine.graph.Node;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * Prepares a loaded graph once, before any plan: lowers operators to the ones the kernels implement
 * ({@code OperatorLowering}) and {@code Gemm}, folds constants and BatchNorms, fuses token
 * linears with their bias and scale, and convolutions with their residual add and activation. Fused nodes may read
 * values produced later in the file's order (a convolution now needs its DY-ReLU slopes), so the result is
 * re-sorted topologically, keeping the original order wherever it is free.
 */
public final class GraphOptimizer {
    private GraphOptimizer() {
    }

    public static void run(final Graph g, final boolean vector) {
        OperatorLowering.run(g);
        GemmLowering.run(g);
        ConstantFolding.run(g, vector);
        BatchNormFolding.run(g);
        LinearFolding.run(g);
        ActivationFusion.run(g);
        sortTopologically(g);
    }

    static void sortTopologically(final Graph g) {
        final List<Node> nodes = g.nodes();
        final Map<String, Integer> producer = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            for (final String o : nodes.get(i).outputs()) {
                producer.put(o, i);
            }
        }
        final int[] pending = new int[nodes.size()];
        final Map<Integer, List<Integer>> dependents = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            final Set<Integer> deps = new HashSet<>();
            for (final String in : nodes.get(i).inputs()) {
                final Integer p = producer.get(in);
                if (p != null && p != i) {
                    deps.add(p);
                }
            }
            pending[i] = deps.size();
            for (final int d : deps) {
                dependents.computeIfAbsent(d, k -> new ArrayList<>()).add(i);
            }
        }
        final PriorityQueue<Integer> ready = new PriorityQueue<>();
        for (int i = 0; i < nodes.size(); i++) {
            if (pending[i] == 0) {
                ready.add(i);
            }
        }
        final List<Node> sorted = new ArrayList<>(nodes.size());
        while (!ready.isEmpty()) {
            final int i = ready.poll();
            sorted.add(nodes.get(i));
            for (final int d : dependents.getOrDefault(i, List.of())) {
                if (--pending[d] == 0) {
                    ready.add(d);
                }
            }
        }
        if (sorted.size() != nodes.size()) {
            throw GraphException.invalid("the graph has a cycle");
        }
        g.setNodes(sorted);
    }
}
