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
 */
final class GoModSyntax {

    /** Go versions the go command's go directive takes, strictly or after its lax fix-up ("1.21rc1", "v1.19"). */
    private static final Pattern GO_VERSION = Pattern.compile(
            "([1-9][0-9]*)\\.(0|[1-9][0-9]*)(\\.(0|[1-9][0-9]*))?([a-z]+[0-9]+)?|v?[1-9][0-9]*\\.(0|[1-9][0-9]*)[^0-9].*");
    private static final Pattern CHUNK_SIZE = Pattern.compile("[0-9a-fA-F]+|[0-9].*");

    private enum Kind { WORD, STRING, LPAREN, RPAREN, PUNCT, NEWLINE }

    private record Token(Kind kind, String text, int line) {
    }

    private GoModSyntax() {
    }

    static void check(String text) throws ArtifactRejectedException {
        List<Token> tokens = lex(text);
        boolean module = false;
        boolean go = false;
        int i = 0;
        while (i < tokens.size()) {
            if (tokens.get(i).kind() == Kind.NEWLINE) {
                i++;
                continue;
            }
            int end = lineEnd(tokens, i);
            List<Token> line = tokens.subList(i, end);
            Token last = line.get(line.size() - 1);
            if (last.kind() == Kind.LPAREN && line.size() > 1) {
                List<Token> verb = line.subList(0, line.size() - 1);
                i = end + 1;
                while (true) {
                    if (i >= tokens.size()) {
                        throw reject(line.get(0), "unterminated block");
                    }
                    if (tokens.get(i).kind() == Kind.NEWLINE) {
                        i++;
                        continue;
                    }
                    int blockLineEnd = lineEnd(tokens, i);
                    List<Token> inner = tokens.subList(i, blockLineEnd);
                    i = blockLineEnd + 1;
                    if (inner.get(0).kind() == Kind.RPAREN) {
                        if (inner.size() != 1) {
                            throw reject(inner.get(0), "expected newline after closing paren");
                        }
                        break;
                    }
                    if (verb.size() == 1) {
                        module |= directive(verb.get(0).text(), inner, module);
                    }
                }
                continue;
            }
            i = end + 1;
            String verb = line.get(0).text();
            if (line.get(0).kind() == Kind.WORD && !known(verb) && CHUNK_SIZE.matcher(verb).matches()
                    && (line.size() == 1 || Character.isDigit(verb.charAt(0)))) {
                throw reject(line.get(0), "\"" + verb + "\" is not a directive (HTTP chunk framing in the body?)");
            }
            List<Token> args = line.subList(1, line.size());
            if (verb.equals("go")) {
                if (go) {
                    throw reject(line.get(0), "repeated go statement");
                }
                go = true;
            }
            module |= directive(verb, args, module);
        }
    }

    private static boolean known(String verb) {
        return switch (verb) {
            case "module", "go", "toolchain", "godebug", "require", "exclude", "replace", "retract", "tool", "ignore" -> true;
            default -> false;
        };
    }

    /** Checks the directives a dependency's go.mod is read for; returns whether it was the module directive. */
    private static boolean directive(String verb, List<Token> args, boolean moduleSeen)
            throws ArtifactRejectedException {
        Token at = args.isEmpty() ? null : args.get(0);
        switch (verb) {
            case "module" -> {
                if (moduleSeen) {
                    throw reject(at, "repeated module statement");
                }
                if (args.size() != 1 || at.kind() == Kind.PUNCT || at.kind() == Kind.LPAREN || at.kind() == Kind.RPAREN) {
                    throw reject(at, "usage: module module/path");
                }
                return true;
            }
            case "go" -> {
                if (args.size() != 1 || !GO_VERSION.matcher(args.get(0).text()).matches()) {
                    throw reject(at, "go directive expects one Go version like 1.21");
                }
            }
            case "require" -> {
                if (args.size() != 2 || !ModuleVersion.isSemver(unquote(args.get(1)))) {
                    throw reject(at, "usage: require module/path v1.2.3");
                }
            }
            default -> {
                // other directives only matter to the main module: the go command ignores them here
            }
        }
        return false;
    }

    private static String unquote(Token token) {
        String t = token.text();
        return token.kind() == Kind.STRING ? t.substring(1, t.length() - 1) : t;
    }

    private static int lineEnd(List<Token> tokens, int from) {
        int i = from;
        while (i < tokens.size() && tokens.get(i).kind() != Kind.NEWLINE) {
            i++;
        }
        return i;
    }

    private static ArtifactRejectedException reject(Token at, String problem) {
        return new ArtifactRejectedException("not a go.mod the go command can read"
                + (at == null ? "" : " (line " + at.line() + ")") + ": " + problem);
    }

    /** The lexer of modfile: spaces, tabs and CR separate tokens; // comments run to the line's end. */
    private static List<Token> lex(String text) throws ArtifactRejectedException {
        List<Token> tokens = new ArrayList<>();
        int line = 1;
        int i = 0;
        int n = text.length();
        while (i < n) {
            int c = text.codePointAt(i);
            if (c == ' ' || c == '\t' || c == '\r') {
                i++;
                continue;
            }
            if (text.startsWith("//", i)) {
                int newline = text.indexOf('\n', i);
                i = newline < 0 ? n : newline;
                continue;
            }
            if (text.startsWith("/*", i)) {
                throw reject(new Token(Kind.PUNCT, "", line), "mod files must use // comments (not /* */ comments)");
            }
            switch (c) {
                case '\n' -> {
                    tokens.add(new Token(Kind.NEWLINE, "\n", line++));
                    i++;
                    continue;
                }
                case '(' -> {
                    tokens.add(new Token(Kind.LPAREN, "(", line));
                    i++;
                    continue;
                }
                case ')' -> {
                    tokens.add(new Token(Kind.RPAREN, ")", line));
                    i++;
                    continue;
                }
                case '[', ']', '{', '}', ',' -> {
                    tokens.add(new Token(Kind.PUNCT, String.valueOf((char) c), line));
                    i++;
                    continue;
                }
                case '"', '`' -> {
                    int start = i;
                    i++;
                    while (true) {
                        if (i >= n || text.charAt(i) == '\n') {
                            throw reject(new Token(Kind.STRING, "", line), "unterminated string");
                        }
                        char d = text.charAt(i++);
                        if (d == c) {
                            break;
                        }
                        if (d == '\\' && c == '"') {
                            if (i >= n) {
                                throw reject(new Token(Kind.STRING, "", line), "unterminated string");
                            }
                            i++;
                        }
                    }
                    tokens.add(new Token(Kind.STRING, text.substring(start, i), line));
                    continue;
                }
                default -> {
                }
            }
            if (!isIdent(c)) {
                throw reject(new Token(Kind.PUNCT, "", line), String.format("unexpected input character U+%04X", c));
            }
            int start = i;
            while (i < n && isIdent(text.codePointAt(i)) && !text.startsWith("//", i)) {
                if (text.startsWith("/*", i)) {
                    throw reject(new Token(Kind.PUNCT, "", line), "mod files must use // comments (not /* */ comments)");
                }
                i += Character.charCount(text.codePointAt(i));
            }
            tokens.add(new Token(Kind.WORD, text.substring(start, i), line));
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
                return type != Character.CONTROL && type != Character.FORMAT && type != Character.UNASSIGNED
                        && type != Character.SURROGATE && type != Character.PRIVATE_USE;
            }
        }
    }
}
