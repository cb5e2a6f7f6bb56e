package javapeer;

import javax.jws.WebService;

import riv.supportprocess.logistics.scheduling.getavailabletimeslots._2.rivtabp21.GetAvailableTimeslotsResponderInterface;
import riv.supportprocess.logistics.scheduling.getavailabletimeslotsresponder._2.GetAvailableTimeslotsResponseType;
import riv.supportprocess.logistics.scheduling.getavailabletimeslotsresponder._2.GetAvailableTimeslotsType;

/**
 * The peer producer without schema validation: answers every GetAvailableTimeslots call with the
 * answer loaded at start (our producer's own answer to the benchmark's request), from memory.
 *
 * serviceName, portName and targetNamespace are the served WSDL's, so the JAX-WS runtime takes that
 * WSDL (and its schemas) from the endpoint's metadata instead of generating one.
 */
@WebService(
        endpointInterface = "riv.supportprocess.logistics.scheduling.getavailabletimeslots._2.rivtabp21"
                + ".GetAvailableTimeslotsResponderInterface",
        serviceName = "GetAvailableTimeslotsResponderService",
        portName = "GetAvailableTimeslotsResponderPort",
        targetNamespace = "urn:riv:supportprocess:logistics:scheduling:GetAvailableTimeslots:2:rivtabp21")
public class Peer implements GetAvailableTimeslotsResponderInterface {
    static volatile GetAvailableTimeslotsResponseType answer;

    @Override
    public GetAvailableTimeslotsResponseType getAvailableTimeslots(String logicalAddress,
                                                                   GetAvailableTimeslotsType parameters) {
        return answer;
    }
}
