"""Rank: the Related, Ranking and Recommendation lists, behind one interface."""
