package dev.mixtral4j.tokenizer;

import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TextNode;
import dev.mixtral4j.tokenizer.ChatTemplateException.Reason;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * How deeply a parsed template nests: blocks inside blocks, and brackets inside brackets
 * within one tag or expression. Both are walked without recursion; Jinjava's renderer and its
 * expression parser recurse per level, so a template nested a few thousand levels deep would
 * otherwise end in a {@link StackOverflowError}.
 */
final class TemplateNesting {
    private TemplateNesting() {
    }

    /** Throws {@link ChatTemplateException} ({@link Reason#NESTING_DEPTH}) past {@code limit}. */
    static void check(Node root, int limit) {
        Deque<Node> nodes = new ArrayDeque<>();
        Deque<Integer> depths = new ArrayDeque<>();
        nodes.push(root);
        depths.push(-1); // the root is no block: its children stand at depth 0
        while (!nodes.isEmpty()) {
            Node n = nodes.pop();
            int depth = depths.pop();
            if (depth > limit) {
                throw new ChatTemplateException(Reason.NESTING_DEPTH, "the chat template nests blocks more than "
                        + limit + " deep (line " + n.getLineNumber() + ")");
            }
            if (!(n instanceof TextNode) && n.getMaster() != null) {
                int brackets = bracketDepth(n.getMaster().getImage());
                if (brackets > limit) {
                    throw new ChatTemplateException(Reason.NESTING_DEPTH, "the chat template nests brackets more than "
                            + limit + " deep in one expression (line " + n.getLineNumber() + ")");
                }
            }
            for (Node child : n.getChildren()) {
                nodes.push(child);
                depths.push(depth + 1);
            }
        }
    }

    /** Deepest nesting of ( [ { outside string literals. */
    static int bracketDepth(String expression) {
        int depth = 0;
        int max = 0;
        char quote = 0;
        for (int i = 0; i < expression.length(); i++) {
            char c = expression.charAt(i);
            if (quote != 0) {
                if (c == '\\') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == '(' || c == '[' || c == '{') {
                max = Math.max(max, ++depth);
            } else if ((c == ')' || c == ']' || c == '}') && depth > 0) {
                depth--;
            }
        }
        return max;
    }
}
