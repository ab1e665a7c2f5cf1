package dev.kiln.server.collab;

import org.springframework.context.annotation.Configuration;
import org.springframework.web.socket.config.annotation.EnableWebSocket;
import org.springframework.web.socket.config.annotation.WebSocketConfigurer;
import org.springframework.web.socket.config.annotation.WebSocketHandlerRegistry;

/** {@code /collab/{studioId}?path=...}: same-origin only (Spring's default), so other sites can't ride a session. */
@Configuration(proxyBeanMethods = false)
@EnableWebSocket
class CollabWebSocketConfiguration implements WebSocketConfigurer {

    private final CollabSocketHandler handler;
    private final CollabHandshake handshake;

    CollabWebSocketConfiguration(CollabSocketHandler handler, CollabHandshake handshake) {
        this.handler = handler;
        this.handshake = handshake;
    }

    @Override
    public void registerWebSocketHandlers(WebSocketHandlerRegistry registry) {
        registry.addHandler(handler, "/collab/*").addInterceptors(handshake);
    }
}
