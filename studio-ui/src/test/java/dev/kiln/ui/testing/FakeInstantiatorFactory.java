package dev.kiln.ui.testing;

import com.vaadin.flow.component.Component;
import com.vaadin.flow.di.DefaultInstantiator;
import com.vaadin.flow.di.Instantiator;
import com.vaadin.flow.di.InstantiatorFactory;
import com.vaadin.flow.server.VaadinService;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.util.Arrays;
import java.util.Comparator;

/**
 * Creates views the way Spring does in the server: through their public constructor, with the current test's fakes
 * for the ports it takes (StudioCatalog, CurrentUser, Clock, ...). Everything else is created as Vaadin does.
 */
public final class FakeInstantiatorFactory implements InstantiatorFactory {

    @Override
    public Instantiator createInstantitor(VaadinService service) {
        return new DefaultInstantiator(service) {
            @Override
            public <T> T getOrCreate(Class<T> type) {
                if (Component.class.isAssignableFrom(type) && type.getName().startsWith("dev.kiln.")) {
                    return create(type);
                }
                return super.getOrCreate(type);
            }

            @Override
            public <T extends Component> T createComponent(Class<T> type) {
                return type.getName().startsWith("dev.kiln.") ? create(type) : super.createComponent(type);
            }
        };
    }

    private static <T> T create(Class<T> type) {
        var fakes = Fakes.CURRENT.get();
        @SuppressWarnings("unchecked")
        var constructor = (Constructor<T>) Arrays.stream(type.getConstructors())
                .max(Comparator.comparingInt(Constructor::getParameterCount))
                .orElseThrow(() -> new IllegalStateException(type + " has no public constructor"));
        Object[] arguments = Arrays.stream(constructor.getParameterTypes()).map(p -> {
            Object fake = fakes.forType(p);
            if (fake == null) {
                throw new IllegalStateException("No fake for " + p.getName() + " (a parameter of " + type.getName() + ")");
            }
            return fake;
        }).toArray();
        try {
            return constructor.newInstance(arguments);
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }
}
