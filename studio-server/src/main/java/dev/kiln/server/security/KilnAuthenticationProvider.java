package dev.kiln.server.security;

import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.DisabledException;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.web.authentication.WebAuthenticationDetails;
import org.springframework.stereotype.Component;

/**
 * User name and password sign-ins (the form, and HTTP Basic on {@code /actuator}) through {@link PasswordLogin},
 * so they are throttled and cost the same for unknown users. Spring Security's own provider is not used.
 */
@Component
class KilnAuthenticationProvider implements AuthenticationProvider {

    /** A sign-in refused because the account or the address must wait; the message says until when. */
    static final class SignInThrottled extends AuthenticationException {
        private final transient PasswordLogin.Throttled throttled;

        SignInThrottled(PasswordLogin.Throttled throttled) {
            super(throttled.message());
            this.throttled = throttled;
        }

        PasswordLogin.Throttled throttled() {
            return throttled;
        }
    }

    private final PasswordLogin login;

    KilnAuthenticationProvider(PasswordLogin login) {
        this.login = login;
    }

    @Override
    public Authentication authenticate(Authentication authentication) {
        var address = authentication.getDetails() instanceof WebAuthenticationDetails web ? web.getRemoteAddress() : null;
        var password = authentication.getCredentials() == null ? null : authentication.getCredentials().toString();
        return switch (login.attempt(authentication.getName(), password, address)) {
            case PasswordLogin.SignedIn(var user) -> {
                var result = UsernamePasswordAuthenticationToken.authenticated(user, null, user.getAuthorities());
                result.setDetails(authentication.getDetails());
                yield result;
            }
            case PasswordLogin.Refused refused -> throw new BadCredentialsException(refused.message());
            case PasswordLogin.Disabled disabled -> throw new DisabledException(disabled.message());
            case PasswordLogin.Throttled throttled -> throw new SignInThrottled(throttled);
        };
    }

    @Override
    public boolean supports(Class<?> authentication) {
        return UsernamePasswordAuthenticationToken.class.isAssignableFrom(authentication);
    }
}
