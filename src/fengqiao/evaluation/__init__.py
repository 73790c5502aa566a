"""Evaluation (督导考评): the daily and monthly figures of every town, village and department,
the weighted score and ranking, and their publication (日晾晒, 月比拼). docs/evaluation.md."""
