package dev.modproxy.operator.webhook;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * HTTP body in, HTTP answer out, for {@code POST /mutate-pods}. Never throws and never denies:
 * a review it cannot read gets a 400 with the reason; one with a uid gets "allowed" and the reason
 * as status message, so the pod is admitted unchanged.
 */
public final class AdmissionReviewHandler {

    private static final Logger LOG = Logger.getLogger(AdmissionReviewHandler.class);
    /*
     * The API server drops a warning holding control characters, and cuts each warning to 256 characters once a
     * response's warnings pass 4096 (admission.k8s.io/v1 AdmissionResponse.warnings). A warning's last words name what
     * to fix (a namespace, containers); cut at the 120 characters the API only recommends, kubectl showed them half.
     */
    static final int WARNING_LENGTH = 256;
    /*
     * The API server limits only the total: past 4096 characters of a response's warnings it cuts each to 256. Each
     * of PodMutator's five warnings names something else to fix; five of at most 256 characters leave most of that
     * total to the API server's own warnings about the pod.
     */
    static final int MAX_WARNINGS = 5;
    // the API server's uid is a UUID; a client posting straight to the webhook may send anything (docs/injection.md)
    static final int LOGGED_LENGTH = 200;

    private static final ObjectMapper PATCH_WRITER = new ObjectMapper();
    private static final JsonFactory JSON = PATCH_WRITER.getFactory();

    static final String PLAIN_TEXT = "text/plain; charset=utf-8";

    private final PodMutator mutator;
    /** The same rules over the API server's view ({@link KubernetesCacheDirectory#live()}); null: never looks again. */
    private final PodMutator fresher;

    private final InjectionMetrics metrics;

    /** Answers from {@code mutator}'s view alone (the warm-up, benchmarks). */
    public AdmissionReviewHandler(PodMutator mutator, InjectionMetrics metrics) {
        this(mutator, null, metrics);
    }

    /**
     * @param fresher what a pod that {@code mutator} leaves unchanged for a reason a fresher view could change
     *        ({@link PodMutator.Mutation#lookAgain()}) is looked at again with, through {@link Reply#lookAgain()}
     */
    public AdmissionReviewHandler(PodMutator mutator, PodMutator fresher, InjectionMetrics metrics) {
        this.mutator = mutator;
        this.fresher = fresher;
        this.metrics = metrics;
    }

    /**
     * {@code body} is JSON for status 200, plain text otherwise.
     *
     * @param lookAgain null, but for a pod to look at again in a fresher view: {@code body} is then the answer of
     *        the informers, not counted yet, and the answer sent comes from {@code lookAgain}
     */
    public record Reply(int status, String contentType, byte[] body, LookAgain lookAgain) {

        Reply(int status, String contentType, byte[] body) {
            this(status, contentType, body, null);
        }

        static Reply badRequest(String message) {
            return new Reply(400, PLAIN_TEXT, (message + "\n").getBytes(StandardCharsets.UTF_8));
        }
    }

    /**
     * A pod the informers left unchanged for a reason the API server's view could change (a namespace label, a
     * GoProxyCache they have not seen yet). Its answer is counted once, by whichever of {@link #answer} and
     * {@link #answerFromInformers} gives it.
     */
    public final class LookAgain {

        private final PodReview review;
        private final Reply informed;
        private final long started;

        private LookAgain(PodReview review, Reply informed, long started) {
            this.review = review;
            this.informed = informed;
            this.started = started;
        }

        /** The pod decided in the API server's view. Blocking (it reads the API server): on a worker thread only. */
        public PodMutator.Mutation fresher() {
            return fresher.mutate(review);
        }

        /** The answer from {@link #fresher()}'s mutation. */
        Reply answer(PodMutator.Mutation fresh) {
            InjectionMetrics.Recheck result =
                    fresh.patch().isEmpty() ? InjectionMetrics.Recheck.UNCHANGED : InjectionMetrics.Recheck.CHANGED;
            InjectionOutcome outcome = InjectionOutcome.ERROR;
            try {
                Reply reply = allowed(review.uid(), fresh);
                outcome = fresh.outcome();
                LOG.debugf(
                        "review %s, looked at again in the API server's view: %s (%s)",
                        loggable(review.uid()), outcome.tag(), loggable(fresh.reason()));
                return reply;
            } finally {
                metrics.recheck(result);
                metrics.record(outcome, review.dryRun(), System.nanoTime() - started);
            }
        }

        /** The informers' answer, when the API server's view is not to be had ({@code why}). */
        Reply answerFromInformers(InjectionMetrics.Recheck why) {
            metrics.recheck(why);
            metrics.record(InjectionOutcome.SKIPPED, review.dryRun(), System.nanoTime() - started);
            return informed;
        }

        String uid() {
            return review.uid();
        }
    }

    public Reply handle(byte[] body) {
        long started = System.nanoTime();
        InjectionOutcome outcome = InjectionOutcome.ERROR;
        String uid = "";
        boolean dryRun = false;
        boolean counted = true;
        try {
            if (looksLikeUtf16Or32(body)) {
                return Reply.badRequest("malformed AdmissionReview: body is not UTF-8");
            }
            PodReview review;
            try {
                review = AdmissionReviewReader.read(body);
            } catch (AdmissionReviewReader.NotAReview e) {
                return Reply.badRequest(e.getMessage());
            }
            uid = review.uid();
            dryRun = review.dryRun();
            if (review.wrongType() != null) {
                return allowedWithMessage(
                        uid, "modproxy: cannot read " + review.wrongType() + ": wrong JSON type for that field");
            }
            PodMutator.Mutation mutation;
            try {
                mutation = mutator.mutate(review);
            } catch (MalformedReviewException e) {
                return allowedWithMessage(uid, "modproxy: " + e.getMessage());
            }
            outcome = mutation.outcome();
            LOG.debugf("review %s: %s (%s)", loggable(uid), outcome.tag(), loggable(mutation.reason()));
            Reply informed = allowed(uid, mutation);
            if (mutation.lookAgain() && fresher != null) {
                counted = false;
                return new Reply(
                        informed.status(),
                        informed.contentType(),
                        informed.body(),
                        new LookAgain(review, informed, started));
            }
            return informed;
        } catch (RuntimeException e) {
            LOG.error("admission review failed; pod admitted unchanged", e);
            outcome = InjectionOutcome.ERROR;
            String message = "modproxy webhook error: " + e.getClass().getSimpleName();
            return uid.isEmpty() ? Reply.badRequest(message) : allowedWithMessage(uid, message);
        } finally {
            if (counted) {
                metrics.record(outcome, dryRun, System.nanoTime() - started);
            }
        }
    }

    private Reply allowed(String uid, PodMutator.Mutation mutation) {
        // written before the answer's generator opens: two at once on a thread cannot share its recycled buffers
        byte[] patch = mutation.patch().isEmpty() ? null : writePatch(mutation.patch());
        return review(uid, patch == null ? 0 : patch.length * 4 / 3, json -> {
            if (mutation.statusMessage() != null) {
                writeStatus(json, "modproxy: " + mutation.statusMessage());
            }
            if (!mutation.warnings().isEmpty()) {
                json.writeArrayFieldStart("warnings");
                List<String> warnings = mutation.warnings();
                for (int i = 0; i < Math.min(MAX_WARNINGS, warnings.size()); i++) {
                    json.writeString(warning(warnings.get(i)));
                }
                json.writeEndArray();
            }
            if (patch != null) {
                json.writeStringField("patchType", "JSONPatch");
                json.writeFieldName("patch");
                // base64 of the patch's JSON, as the API server expects the []byte field
                json.writeBinary(patch);
            }
        });
    }

    private static byte[] writePatch(JsonPatch patch) {
        try {
            return PATCH_WRITER.writeValueAsBytes(patch.toJson());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the JSON patch", e);
        }
    }

    /** JSON between systems is UTF-8 (RFC 8259); the parser alone would also accept UTF-16 and UTF-32. */
    private static boolean looksLikeUtf16Or32(byte[] body) {
        if (body.length < 2) {
            return false;
        }
        boolean byteOrderMark = (body[0] == (byte) 0xFE && body[1] == (byte) 0xFF)
                || (body[0] == (byte) 0xFF && body[1] == (byte) 0xFE);
        return byteOrderMark || body[0] == 0 || body[1] == 0;
    }

    /** A warning the API server shows as it is: no control characters, at most {@link #WARNING_LENGTH} characters. */
    static String warning(String text) {
        int[] clean =
                text.codePoints().map(c -> Character.isISOControl(c) ? ' ' : c).toArray();
        if (clean.length <= WARNING_LENGTH) {
            return new String(clean, 0, clean.length);
        }
        return new String(clean, 0, WARNING_LENGTH - 1) + "\u2026";
    }

    /**
     * Text of a review as the operator's log shows it: its uid and what the answer says of its fields come from the
     * client, and any pod can post to the webhook's Service. A line break in them started a log line of the client's
     * making, a terminal escape acted on whoever read the log: control characters are written as Java escapes (a line
     * break as backslash and n), and the text is cut at {@link #LOGGED_LENGTH} characters (a uid of megabytes was a
     * log line of megabytes per review).
     */
    static String loggable(String text) {
        if (text == null) {
            return "null";
        }
        StringBuilder shown = new StringBuilder(Math.min(text.length(), LOGGED_LENGTH) + 16);
        int count = 0;
        for (int i = 0; i < text.length(); ) {
            int c = text.codePointAt(i);
            if (count == LOGGED_LENGTH) {
                shown.append("\u2026 (").append(text.length() - i).append(" more characters)");
                break;
            }
            switch (c) {
                case '\n' -> shown.append("\\n");
                case '\r' -> shown.append("\\r");
                case '\t' -> shown.append("\\t");
                default -> {
                    if (Character.isISOControl(c) || c == 0x2028 || c == 0x2029) {
                        shown.append(String.format("\\u%04x", c));
                    } else {
                        shown.appendCodePoint(c);
                    }
                }
            }
            count++;
            i += Character.charCount(c);
        }
        return shown.toString();
    }

    private Reply allowedWithMessage(String uid, String message) {
        LOG.warnf("review %s admitted unchanged: %s", loggable(uid), loggable(message));
        return review(uid, message.length(), json -> writeStatus(json, message));
    }

    private static void writeStatus(JsonGenerator json, String message) throws IOException {
        json.writeObjectFieldStart("status");
        json.writeNumberField("code", 200);
        json.writeStringField("message", message);
        json.writeEndObject();
    }

    private interface ResponseFields {
        void write(JsonGenerator json) throws IOException;
    }

    /** An AdmissionReview v1 answer that admits the pod: uid, allowed, then {@code fields} (about {@code size} bytes). */
    private static Reply review(String uid, int size, ResponseFields fields) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(size + 768);
        try (JsonGenerator json = JSON.createGenerator(out)) {
            json.writeStartObject();
            json.writeStringField("apiVersion", AdmissionReviewReader.API_VERSION);
            json.writeStringField("kind", "AdmissionReview");
            json.writeObjectFieldStart("response");
            json.writeStringField("uid", uid);
            json.writeBooleanField("allowed", true);
            fields.write(json);
            json.writeEndObject();
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write AdmissionReview", e);
        }
        return new Reply(200, "application/json", out.toByteArray());
    }
}
