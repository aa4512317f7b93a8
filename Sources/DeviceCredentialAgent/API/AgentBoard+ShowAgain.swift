extension AgentBoard {
    /// Shows an open challenge again (`ShowChallenge`): its prompt, dismissed or still up, is asked
    /// again by the current prompter. Throws ``AnswerRefusal/challengeGone`` when it is not open here.
    public func showAgain(_ challengeId: String) throws(AnswerRefusal) {
        guard openChallenges().contains(where: { $0.challenge.challengeId == challengeId }) else {
            throw .challengeGone
        }
        showAgainRequests.request(challengeId)
    }
}
