package io.github.keycloakdane.core;

/** A name that is not a usable DANE client identity; the message says why, for logs and error pages. */
public class InvalidNameException extends Exception {
    public InvalidNameException(String message) {
        super(message);
    }
}
