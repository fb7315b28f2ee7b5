package dev.modproxy.proxy.cache;

import dev.modproxy.proxy.protocol.ModuleVersion;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The go.mod syntax the go command reads a dependency's go.mod with (golang.org/x/mod/modfile
 * ParseLax): its tokens, line blocks, and the directives it keeps for dependencies (module, go,
 * require). Unknown directives are allowed, as the go command ignores them, except a line that is
 * a bare hexadecimal number or starts with a digit: HTTP chunk framing, never a go.mod directive.
 * Fed one line at a time, so a large go.mod is checked in constant memory; a line longer than
 * {@link TextAnswers#MAX_LINE_CHARS} is judged by its start when its comment has begun there.
 */
final class GoModSyntax implements TextAnswers.LineCheck {

    /** Go versions the go command's go directive takes, strictly or after its lax fix-up ("1.21rc1", "v1.19"). */
    private static final Pattern GO_VERSION = Pattern.compile(
            "([1-9][0-9]*)\\.(0|[1-9][0-9]*)(\\.(0|[1-9][0-9]*))?([a-z]+[0-9]+)?|v?[1-9][0-9]*\\.(0|[1-9][0-9]*)[^0-9].*");

    private static final Pattern CHUNK_SIZE = Pattern.compile("[0-9a-fA-F]+|[0-9].*");

    private enum Kind {
        WORD,
        STRING,
        LPAREN,
        RPAREN,
        PUNCT
    }

    private record Token(Kind kind, String text) {}

    private int number;
    private String blockVerb;
    private int blockStart;
    private boolean goSeen;
    private boolean moduleSeen;
    private String goVersion;
    /** null unless asked for: the check of a 16 MiB go.mod must stay in constant memory. */
    private final List<String[]> requires;

    /** A checker that keeps nothing of the lines it checks but the module path. */
    GoModSyntax() {
        this(false);
    }

    /** @param keepRequirements whether to keep the require lines for {@link #requires()} */
    GoModSyntax(boolean keepRequirements) {
        requires = keepRequirements ? new ArrayList<>() : null;
    }

    /** Checks the next line (without its newline). */
    @Override
    public void line(String text) throws ArtifactRejectedException {
        number++;
        List<Token> line = lex(text);
        if (line.isEmpty()) {
            return;
        }
        if (blockVerb != null) {
            if (line.get(0).kind() == Kind.RPAREN) {
                if (line.size() != 1) {
                    throw reject("expected newline after closing paren");
                }
                blockVerb = null;
                return;
            }
            directive(blockVerb, line);
            return;
        }
        Token last = line.get(line.size() - 1);
        if (line.size() > 2
                && last.kind() == Kind.RPAREN
                && line.get(line.size() - 2).kind() == Kind.LPAREN) {
            return; // "verb ( )": an empty block
        }
        if (last.kind() == Kind.LPAREN && line.size() > 1) {
            // a block's lines belong to its verb; a block with several words before '(' is ignored, as the go command
            // does
            blockVerb = line.size() == 2 ? line.get(0).text() : "";
            blockStart = number;
            return;
        }
        String verb = line.get(0).text();
        if (line.get(0).kind() == Kind.WORD
                && !known(verb)
                && CHUNK_SIZE.matcher(verb).matches()
                && (line.size() == 1 || Character.isDigit(verb.charAt(0)))) {
            throw reject("\"" + shorten(verb) + "\" is not a directive (HTTP chunk framing in the body?)");
        }
        if (verb.equals("go")) {
            if (goSeen) {
                throw reject("repeated go statement");
            }
            goSeen = true;
        }
        directive(verb, line.subList(1, line.size()));
    }

    /**
     * Checks a line of which only the start is given: the go command reads go.mod lines of any length, and a
     * comment's text matters to it no more than to this check, so a line whose // comment begins in the start is
     * checked up to the comment. A longer line with no comment begun would hold more than 64 KiB of tokens (a go.mod
     * the go command writes has no such line): refused, not held whole.
     */
    @Override
    public boolean longLine(String start) throws ArtifactRejectedException {
        int comment = commentStart(start);
        if (comment < 0) {
            number++;
            throw reject("line longer than " + TextAnswers.MAX_LINE_CHARS
                    + " characters without a // comment begun in them");
        }
        line(start.substring(0, comment));
        return true;
    }

    /**
     * Where the text's // comment begins as {@link #lex} reads it (outside a quoted string; a word ends at "//"), or
     * -1 when it has none or ends inside a string.
     */
    private static int commentStart(String text) {
        int i = 0;
        boolean inWord = false;
        while (i < text.length()) {
            if (text.startsWith("//", i)) {
                return i;
            }
            int c = text.codePointAt(i);
            if (!inWord && (c == '"' || c == '`')) {
                int end = i + 1;
                while (end < text.length() && text.charAt(end) != c) {
                    end += c == '"' && text.charAt(end) == '\\' ? 2 : 1;
                }
                if (end >= text.length()) {
                    return -1;
                }
                i = end + 1;
                continue;
            }
            inWord = isIdent(c); // a quote inside a word is part of it, as for the lexer
            i += Character.charCount(c);
        }
        return -1;
    }

    /** Checks that the text ended where a go.mod may end. */
    void end() throws ArtifactRejectedException {
        if (blockVerb != null) {
            number = blockStart;
            throw reject("unterminated block");
        }
    }

    /** The go directive's version as written, or null when there is none. */
    String goVersion() {
        return goVersion;
    }

    /** The require lines, each {path, version}, in the order written (none unless kept). */
    List<String[]> requires() {
        return requires == null ? List.of() : requires;
    }

    private static boolean known(String verb) {
        return switch (verb) {
            case "module", "go", "toolchain", "godebug", "require", "exclude", "replace", "retract", "tool", "ignore" ->
                true;
            default -> false;
        };
    }

    /** Checks the directives a dependency's go.mod is read for. */
    private void directive(String verb, List<Token> args) throws ArtifactRejectedException {
        switch (verb) {
            case "module" -> {
                if (moduleSeen) {
                    throw reject("repeated module statement");
                }
                if (args.size() != 1
                        || args.get(0).kind() != Kind.WORD && args.get(0).kind() != Kind.STRING) {
                    throw reject("usage: module module/path");
                }
                moduleSeen = true;
            }
            case "go" -> {
                if (args.size() != 1 || !GO_VERSION.matcher(args.get(0).text()).matches()) {
                    throw reject("go directive expects one Go version like 1.21");
                }
                goVersion = args.get(0).text();
            }
            case "require" -> {
                if (args.size() != 2 || !ModuleVersion.isSemver(unquote(args.get(1)))) {
                    throw reject("usage: require module/path v1.2.3");
                }
                if (requires != null) {
                    requires.add(new String[] {unquote(args.get(0)), unquote(args.get(1))});
                }
            }
            default -> {
                // other directives only matter to the main module: the go command ignores them here
            }
        }
    }

    private static String unquote(Token token) {
        String t = token.text();
        if (token.kind() != Kind.STRING) {
            return t;
        }
        String inner = t.substring(1, t.length() - 1);
        return t.charAt(0) == '`' ? inner : inner.replaceAll("\\\\(.)", "$1");
    }

    private static String shorten(String text) {
        return text.length() > 40 ? text.substring(0, 40) + "..." : text;
    }

    private ArtifactRejectedException reject(String problem) {
        return new ArtifactRejectedException("not a go.mod the go command can read (line " + number + "): " + problem);
    }

    /** The lexer of modfile, for one line: spaces, tabs and CR separate tokens; // starts a comment. */
    private List<Token> lex(String text) throws ArtifactRejectedException {
        List<Token> tokens = new ArrayList<>();
        int i = 0;
        int n = text.length();
        while (i < n) {
            int c = text.codePointAt(i);
            if (c == ' ' || c == '\t' || c == '\r') {
                i++;
                continue;
            }
            if (text.startsWith("//", i)) {
                break;
            }
            if (text.startsWith("/*", i)) {
                throw reject("mod files must use // comments (not /* */ comments)");
            }
            switch (c) {
                case '(' -> {
                    tokens.add(new Token(Kind.LPAREN, "("));
                    i++;
                    continue;
                }
                case ')' -> {
                    tokens.add(new Token(Kind.RPAREN, ")"));
                    i++;
                    continue;
                }
                case '[', ']', '{', '}', ',' -> {
                    tokens.add(new Token(Kind.PUNCT, String.valueOf((char) c)));
                    i++;
                    continue;
                }
                case '"', '`' -> {
                    int start = i++;
                    while (true) {
                        if (i >= n) {
                            throw reject("unterminated string");
                        }
                        char d = text.charAt(i++);
                        if (d == c) {
                            break;
                        }
                        if (d == '\\' && c == '"') {
                            if (i >= n) {
                                throw reject("unterminated string");
                            }
                            i++;
                        }
                    }
                    tokens.add(new Token(Kind.STRING, text.substring(start, i)));
                    continue;
                }
                default -> {}
            }
            if (!isIdent(c)) {
                throw reject(String.format("unexpected input character U+%04X", c));
            }
            int start = i;
            while (i < n && isIdent(text.codePointAt(i)) && !text.startsWith("//", i)) {
                if (text.startsWith("/*", i)) {
                    throw reject("mod files must use // comments (not /* */ comments)");
                }
                i += Character.charCount(text.codePointAt(i));
            }
            tokens.add(new Token(Kind.WORD, text.substring(start, i)));
        }
        return tokens;
    }

    /** Go's modfile isIdent: printable, not a space, not punctuation the grammar uses. */
    private static boolean isIdent(int c) {
        switch (c) {
            case ' ', '(', ')', '[', ']', '{', '}', ',' -> {
                return false;
            }
            default -> {
                if (Character.isWhitespace(c) || Character.isSpaceChar(c) || c == 0x85) {
                    return false;
                }
                int type = Character.getType(c);
                return type != Character.CONTROL
                        && type != Character.FORMAT
                        && type != Character.UNASSIGNED
                        && type != Character.SURROGATE
                        && type != Character.PRIVATE_USE;
            }
        }
    }
}
