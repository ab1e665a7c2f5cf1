package dev.kiln.server.config;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.util.unit.DataSize;

/**
 * The request-body limit, first in the filter chain (before the security filters, so even an anonymous caller's
 * oversized body is refused unread). {@code kiln.max-request-size} defaults to twice {@code kiln.max-file-size} plus
 * 1 MB: a file saved as JSON is its text with quotes and backslashes escaped, which at worst doubles it.
 */
@Configuration(proxyBeanMethods = false)
class HttpLimitsConfiguration {

    @Bean
    FilterRegistrationBean<RequestBodyLimit> requestBodyLimit(KilnProperties properties,
                                                              @Value("${kiln.max-request-size:}") String maxRequestSize) {
        long limit = maxRequestSize == null || maxRequestSize.isBlank()
                ? 2 * properties.maxFileSize().toBytes() + DataSize.ofMegabytes(1).toBytes()
                : DataSize.parse(maxRequestSize.strip()).toBytes();
        var registration = new FilterRegistrationBean<>(new RequestBodyLimit(limit));
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 10);
        registration.setName("kilnRequestBodyLimit");
        return registration;
    }
}
