package dev.modproxy.proxy.assembly;

/** A setting the proxy cannot use; the message names the variable and what it takes, in one line. */
public final class BadSettingException extends IllegalArgumentException {

    public BadSettingException(String message) {
        super(message);
    }
}
