"""A turn is an ordered list of small steps over one TurnContext; a step may end the turn with a status."""
