package dev.modproxy.proxy.sumdb;

import java.util.ArrayList;
import java.util.List;

/** Asks sources of the checksum database in order until one gives an answer that proves out. */
final class SumDbSources {

    /** One try against a single source; throws when its answer is missing or does not prove out. */
    @FunctionalInterface
    interface Attempt<T> {
        T from(SumDbFetcher source) throws SumDbException;
    }

    /** What a user behind a filtered link can do about an outage: said with every outage a client or the log sees. */
    static final String WHAT_TO_SET = "Set MODPROXY_SUMDB to a checksum database this proxy can reach "
            + "(from China: MODPROXY_SUMDB=sum.golang.google.cn), or list private modules in GONOSUMDB "
            + "(MODPROXY_NOSUMDB) so they are not looked up";

    /**
     * The same, said with a download this proxy refused or cached unverified for want of the database: there only this
     * proxy's own exemption spares a module the lookup; a build's GONOSUMDB spares it that go command's lookup alone,
     * and a build that already sets it would be told to set it again.
     */
    static final String WHAT_TO_SET_FOR_A_DOWNLOAD = "Set MODPROXY_SUMDB to a checksum database this proxy can reach "
            + "(from China: MODPROXY_SUMDB=sum.golang.google.cn), or list private modules in MODPROXY_NOSUMDB "
            + "(spec.noSumDB): a build's GONOSUMDB exempts a module from that go command's check only";

    /**
     * A lookup's failure as said with the download of modVer: without the module and its lookup path, which the go
     * command prints beside it anyway, and with {@link #WHAT_TO_SET_FOR_A_DOWNLOAD}. The go command shows at most 648
     * bytes of a server's answer (cmd/go/internal/web's maxErrorDetailBytes) and only "[Truncated: too long.]" in
     * place of a longer line, so a reason that named a long module path four times (the module, the lookup, each
     * source's path) reached the user as nothing at all.
     */
    static String forADownload(String failure, String database, String modVer, String lookupPath) {
        String reason = failure.startsWith(modVer + ": ") ? failure.substring(modVer.length() + 2) : failure;
        reason = reason.replace(" for sumdb/" + database + "/" + lookupPath, "").replace(" for " + lookupPath, "");
        return reason.endsWith(WHAT_TO_SET)
                ? reason.substring(0, reason.length() - WHAT_TO_SET.length()) + WHAT_TO_SET_FOR_A_DOWNLOAD
                : reason;
    }

    private SumDbSources() {}

    /**
     * A source that holds nothing for the path (the local store, before the piece is kept): no answer and no
     * failure here; to a caller that falls back on another piece (a partial tile's full tile), not found.
     */
    static final class Miss extends SumDbNotFoundException {
        Miss(String path) {
            super(path + " is not kept");
        }
    }

    /**
     * The database's own "no such piece", relayed by a proxy that serves the database: an answer, so when no
     * later source proves the piece the request is a 404, not an outage.
     */
    static final class NotInDatabase extends SumDbNotFoundException {
        NotInDatabase(String message) {
            super(message);
        }
    }

    /**
     * The first proven result. A source that answers and fails the proof is passed over, never
     * trusted. When none succeeds: the last source's (the database's own) 404 is a 404, and so is
     * one relayed by a proxy that serves the database ({@link NotInDatabase}); a source's 403 or 400
     * with nothing else but outages is that status, the first source's ({@link SumDbPathRefusedException}); nothing else but
     * outages is an outage ({@link SumDbUnreachableException}); any wrong answer makes it a
     * refusal ({@link SumDbException}).
     */
    static <T> T firstProven(String database, String what, List<SumDbFetcher> sources, Attempt<T> attempt)
            throws SumDbException {
        if (sources.size() == 1) {
            try {
                return attempt.from(sources.get(0));
            } catch (SumDbPathRefusedException e) {
                throw e; // the source's own reason: there is nothing to set about a refusal
            } catch (SumDbUnreachableException e) {
                throw new SumDbUnreachableException(e.getMessage() + ". " + WHAT_TO_SET, e);
            }
        }
        List<String> failures = new ArrayList<>();
        boolean answeredBadly = false;
        SumDbException last = null;
        NotInDatabase notInDatabase = null;
        SumDbForkException fork = null;
        int refusedStatus = 0; // the first refusal's: 0 while no source refused
        for (int i = 0; i < sources.size(); i++) {
            try {
                return attempt.from(sources.get(i));
            } catch (Miss e) {
                continue; // says nothing about the database: not worth a word in the failure
            } catch (SumDbNotFoundException e) {
                if (i == sources.size() - 1) {
                    throw e;
                }
                if (e instanceof NotInDatabase relayed && notInDatabase == null) {
                    notInDatabase = relayed;
                }
                last = e;
            } catch (SumDbPathRefusedException e) {
                refusedStatus = refusedStatus == 0 ? e.status() : refusedStatus;
                last = e;
            } catch (SumDbUnreachableException e) {
                last = e;
            } catch (SumDbException e) {
                answeredBadly = true;
                last = e;
                if (fork == null) {
                    fork = SumDbForkException.in(e).orElse(null);
                }
            }
            failures.add(last.getMessage());
        }
        if (!answeredBadly && notInDatabase != null) {
            throw notInDatabase;
        }
        if (!answeredBadly && refusedStatus != 0) {
            throw new SumDbPathRefusedException(
                    refusedStatus,
                    "checksum database " + database + " refused for " + what + ": " + String.join("; ", failures),
                    last);
        }
        if (!answeredBadly) {
            throw new SumDbUnreachableException(
                    "checksum database " + database + " unreachable for " + what + ": " + String.join("; ", failures)
                            + ". " + WHAT_TO_SET,
                    last);
        }
        throw new SumDbException(
                "checksum database " + database + ": no source proves " + what + ": " + String.join("; ", failures),
                fork != null ? fork : last); // a fork is the failure to count and report, whichever source showed it
    }
}
