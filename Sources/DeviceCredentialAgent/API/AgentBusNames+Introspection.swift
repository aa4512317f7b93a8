/// The interface's introspection XML, as `Introspect` answers it. The same text is installed as
/// share/dbus-1/interfaces/io.github.DeviceCredential.Agent1.xml (a test keeps the two equal).
extension AgentBusNames {
    package static let introspectionXML = """
        <!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
         "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">
        <!--
          io.github.DeviceCredential.Agent1: the DeviceCredential agent's API on the session bus.
          Bus name io.github.DeviceCredential.Agent, object /io/github/DeviceCredential/Agent.
          Documented in Docs/agent.md ("The D-Bus API"). Strings in challenges come from outside (the browser,
          the server): render them safely (the "summary" entry is already rendered for a terminal line).
        -->
        <node>
          <interface name="io.github.DeviceCredential.Agent1">
            <!-- Each profile: name (s), state (s: polling, backing-off, keyring-locked, waiting-for-bus, revoked,
                 not-enrolled), keyKind (s), apiURL (s), numberMatching (b). -->
            <method name="ListProfiles">
              <arg name="profiles" type="aa{sv}" direction="out"/>
            </method>
            <!-- Each challenge whose prompt is open or waits: challengeId, profile, actionCode, userId, ipAddress,
                 userAgent, browser (s), expiresAt (x, Unix seconds; absent when unknown), needsVerificationCode (b),
                 heldByGuard (b, held by the push-fatigue guard: not shown, Approve and Deny refused),
                 summary (s, one line, rendered safe). -->
            <method name="ListChallenges">
              <arg name="challenges" type="aa{sv}" direction="out"/>
            </method>
            <!-- Approves an open challenge, with the number-matching code when it needs one (else ""). Returns once
                 the answer is sent; a TPM PIN is asked by the agent's own PIN prompter, never over the bus. -->
            <method name="Approve">
              <arg name="challengeId" type="s" direction="in"/>
              <arg name="verificationCode" type="s" direction="in"/>
            </method>
            <method name="Deny">
              <arg name="challengeId" type="s" direction="in"/>
            </method>
            <!-- "This wasn't me": denies (signed, as Deny), writes a journal entry (MESSAGE_ID
                 c34eea090888491887b10966b87341e8), runs the agent's report command and records "reported". -->
            <method name="Report">
              <arg name="challengeId" type="s" direction="in"/>
            </method>
            <!-- Every profile polls now instead of at its next interval. -->
            <method name="PollNow"/>
            <!-- Shows an open challenge again with the current prompter (a dismissed notification comes back).
                 Error ChallengeGone when it is not open here. -->
            <method name="ShowChallenge">
              <arg name="challengeId" type="s" direction="in"/>
            </method>
            <!-- Makes the caller the agent's prompter: the agent calls io.github.DeviceCredential.Prompter1.Ask on
                 this object of the caller's unique name instead of showing its own prompt, until the caller
                 unregisters or leaves the bus. One app at a time: error PrompterRegistered. -->
            <method name="RegisterPrompter">
              <arg name="prompter" type="o" direction="in"/>
            </method>
            <!-- Error NotRegistered when the caller is not the registered prompter with this object. -->
            <method name="UnregisterPrompter">
              <arg name="prompter" type="o" direction="in"/>
            </method>
            <signal name="ChallengeReceived">
              <arg name="challenge" type="a{sv}"/>
            </signal>
            <!-- how: approved, denied, reported ("This wasn't me"), refused (the server did not verify the
                 approval), withdrawn (answered elsewhere or expired), unanswered (still pending for another device). -->
            <signal name="ChallengeResolved">
              <arg name="challengeId" type="s"/>
              <arg name="profile" type="s"/>
              <arg name="how" type="s"/>
            </signal>
            <signal name="ProfilesChanged"/>
          </interface>
        </node>
        """
}
