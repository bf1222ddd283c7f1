package io.github.keycloakdane.core;

/** A TLSA record that is well-formed DNS data but cannot be used for matching (RFC 6698 §4.1). */
public class UnusableRecordException extends Exception {

    private final String parameters;

    public UnusableRecordException(String parameters, String reason) {
        super(parameters + ": " + reason);
        this.parameters = parameters;
    }

    /** The record's parameters as given, e.g. {@code "3 1 7"}. */
    public String parameters() {
        return parameters;
    }
}
