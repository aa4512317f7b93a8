/// Placeholder until the agent lands.
public enum DeviceCredentialAgentPlaceholder {}
