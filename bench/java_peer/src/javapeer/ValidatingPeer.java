package javapeer;

import javax.jws.WebService;

import com.sun.xml.ws.developer.SchemaValidation;

/**
 * The same peer with the JAX-WS RI's schema validation of the request and of the response
 * (@SchemaValidation: inbound and outbound, against the served WSDL's schemas).
 */
@SchemaValidation(inbound = true, outbound = true)
@WebService(
        endpointInterface = "riv.supportprocess.logistics.scheduling.getavailabletimeslots._2.rivtabp21"
                + ".GetAvailableTimeslotsResponderInterface",
        serviceName = "GetAvailableTimeslotsResponderService",
        portName = "GetAvailableTimeslotsResponderPort",
        targetNamespace = "urn:riv:supportprocess:logistics:scheduling:GetAvailableTimeslots:2:rivtabp21")
public class ValidatingPeer extends Peer {
}
