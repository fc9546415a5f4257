"""Placeholder CLI; replaced by the comparison issue."""
def main(argv=None) -> int:
    print("grokcheck")
    return 0
