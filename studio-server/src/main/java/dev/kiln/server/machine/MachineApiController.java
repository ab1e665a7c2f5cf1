package dev.kiln.server.machine;

import dev.kiln.api.machine.MachineState;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code /api/studios/{id}/machine}: the machine's status (anyone who can see the studio), and start, switch and
 * stop (the owner only).
 */
@RestController
@RequestMapping("/api/studios/{id}/machine")
class MachineApiController {
    record SwitchRequest(String machineType) {}

    private final MachineService machines;

    MachineApiController(MachineService machines) {
        this.machines = machines;
    }

    @GetMapping
    MachineState status(@PathVariable String id) {
        return machines.state(id);
    }

    @PostMapping
    MachineState switchTo(@PathVariable String id, @RequestBody SwitchRequest request) {
        return machines.switchTo(id, request.machineType());
    }

    @PostMapping("/stop")
    MachineState stop(@PathVariable String id) {
        return machines.stop(id);
    }
}
