package dev.kiln.server.security;

import dev.kiln.server.config.LogText;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;

/**
 * A signed-in user changes their own password, from the account dialog or the API. The current password is
 * required and checked like a sign-in (throttled, so a session left open is no way to guess it); the new one obeys
 * {@link PasswordRule}. The user's other sessions end; the one asking stays signed in.
 */
@Service
class OwnPassword {

    private static final Logger log = LoggerFactory.getLogger("kiln");

    /** The current password was not given right often enough that the account must wait. */
    static final class TooManyAttempts extends IllegalArgumentException {
        private final transient PasswordLogin.Throttled throttled;

        TooManyAttempts(PasswordLogin.Throttled throttled) {
            super(throttled.message());
            this.throttled = throttled;
        }

        long retryAfterSeconds() {
            return throttled.retryAfterSeconds();
        }
    }

    private final PasswordLogin logins;
    private final UserAccounts accounts;
    private final UserSessions sessions;

    OwnPassword(PasswordLogin logins, UserAccounts accounts, UserSessions sessions) {
        this.logins = logins;
        this.accounts = accounts;
        this.sessions = sessions;
    }

    /**
     * @return how many other sessions were ended
     * @throws IllegalArgumentException with a message for the user (a wrong current password, a weak new one)
     */
    int change(String currentPassword, String newPassword) {
        var user = Users.current();
        var request = RequestContextHolder.getRequestAttributes() instanceof ServletRequestAttributes servlet
                ? servlet.getRequest() : null;
        var address = request == null ? null : request.getRemoteAddr();
        switch (logins.attempt(user.getUsername(), currentPassword, address)) {
            case PasswordLogin.SignedIn signedIn -> {
            }
            case PasswordLogin.Throttled throttled -> throw new TooManyAttempts(throttled);
            case PasswordLogin.Refused refused -> throw new IllegalArgumentException("Your current password is not right.");
            case PasswordLogin.Disabled disabled -> throw new IllegalArgumentException(disabled.message());
        }
        if (newPassword != null && newPassword.equals(currentPassword)) {
            throw new IllegalArgumentException("The new password is the same as the current one.");
        }
        accounts.setPassword(user.id(), newPassword);
        var session = request == null ? null : request.getSession(false);
        int ended = sessions.endOthers(user, session == null ? null : session.getId());
        log.info("{} changed their password ({} other session(s) ended)", LogText.clean(user.getUsername()), ended);
        return ended;
    }
}
