"""Build conversations.db, the example's stored chat log, from the dialogues below.

    python examples/filebox/build_conversations.py [OUT]

The layout is the one tunesmith's parse stage reads (see README, "Your own conversation log"):
conversations(id, started_at, rating) and messages(conversation_id, position, role, content).
Ratings are 1-5 as users gave them, or NULL where the user gave none. Deterministic: the same
script always writes the same rows.
"""
import os
import sqlite3
import sys
from pathlib import Path

# (rating, [user, assistant, user, assistant, ...])
DIALOGUES = [
    (5, ["How do I find all my videos bigger than a gigabyte?",
         "Open quick search with Ctrl+K, set the Kind filter to video and the Size filter to larger than 1 GB. Filters combine, so you only see videos above that size."]),
    (5, ["What is a location in Filebox?",
         "A location is a folder that Filebox watches and indexes. You add one from the sidebar with Add location, and Filebox scans it in the background."]),
    (4, ["Can I share a folder with someone who doesn't use Filebox?",
         "Yes, with a share link. Select the folder, choose Share, then Create link. Anyone with the link can view and download, but links are read-only.",
         "Can they upload into it?",
         "No. Write access needs a Filebox account, so invite them as an editor instead; every change is then attributed to them in the history."]),
    (5, ["Why does search work when I'm offline?",
         "Each device keeps the index in a local database, so search reads that index instead of the network. It is updated whenever a watched folder changes."]),
    (2, ["How do I delete a tag?",
         "Tags cannot be changed."]),
    (4, ["What happens if I rename the same file on my laptop and my desktop?",
         "That is a conflict. Filebox keeps both versions: the later rename wins and the earlier one is saved as a copy with the device name appended."]),
    (1, ["my sync is broken",
         "Have you tried turning it off and on again?"]),
    (5, ["How long do deleted files stay in the trash?",
         "Thirty days. Until then you can restore a file to its original folder; emptying the trash deletes it permanently."]),
    (3, ["What's a smart folder?",
         "It's a saved search that looks like a folder in the sidebar."]),
    (5, ["Does deleting a smart folder delete my files?",
         "No. A smart folder is only a saved search, so deleting it removes the search and leaves every file where it was."]),
    (4, ["How do I find duplicate files?",
         "Open the Duplicates view. Filebox groups files by content hash, so copies show up together even when their names differ, and you can keep one copy of each."]),
    (None, ["What platforms does Filebox run on?",
         "Linux, macOS and Windows."]),
    (5, ["Can a share link expire?",
         "Yes. When you create a link you can give it an expiry date and a password. Expired links stop working at midnight UTC on that date."]),
    (2, ["How big can a shared download be?",
         "There is no limit."]),
    (4, ["How do I tag several files at once?",
         "Select the files and press Ctrl+T, or use the Tag button in the toolbar. The tag is added to every selected file and syncs to your other devices."]),
    (5, ["What does removing a device do?",
         "It signs that device out and deletes its copy of the index. Files stored on it are not touched.",
         "Will its files disappear from my library?",
         "Files that lived only on that device are no longer listed once its index is gone; files on your other locations stay."]),
    (3, ["Is sync slow for big libraries?",
         "Not really."]),
    (5, ["How does Filebox sync without uploading all my files?",
         "Only the index syncs. Each device records its changes as a log of operations, and devices exchange the operations the other has not seen, which takes little bandwidth."]),
    (4, ["Where is the GraphQL API?",
         "Every device serves it at http://localhost:7878/graphql. It reads the same local index as the app, so it works offline too."]),
    (1, ["can you recover a file i emptied from trash",
         "Sure, just look in the trash."]),
    (5, ["Whose storage does a shared folder count against?",
         "The owner's. A folder shared with another user counts towards the owner's storage quota, not the recipient's."]),
    (4, ["What kinds of files does Filebox recognise?",
         "Documents, images, videos, audio, archives, and other for everything else. The kind is decided from the file's content."]),
    (None, ["How do I add an external disk?",
         "Add it as a location: choose Add location in the sidebar and pick the disk's folder."]),
    (5, ["What does the viewer permission allow?",
         "A viewer can open and download the shared file. An editor can also rename, move and change it."]),
    (4, ["How do I change the sort order of search results?",
         "Click a column header in the results to sort by name, size, modification time or kind; click again to switch between ascending and descending. The default is newest first."]),
    (5, ["How do I restore an older version of a document?",
         "Open the file's History panel, pick the version you want and choose Restore. The current content is kept as a new version, so nothing is lost."]),
    (4, ["Does emptying the trash delete file versions too?",
         "Yes. Versions belong to their file, so emptying the trash deletes the versions of the files in it."]),
    (5, ["What is the difference between an owner and an admin on a team?",
         "An owner manages billing, members and every team location. An admin manages members and team locations but cannot change billing."]),
    (2, ["can guests edit my files",
         "Guests can do anything."]),
    (4, ["Do guests count towards my team's member limit?",
         "No. Guests do not count towards the member limit, but each guest needs a free Filebox account."]),
    (5, ["My new location shows no files. Is something wrong?",
         "Probably not: a new location stays empty until its first scan ends. The status bar shows the scan's progress; if it never starts, check that Filebox may read the folder."]),
    (4, ["Why is sync paused on my laptop?",
         "Sync pauses when the device is offline or when your storage quota is full. It resumes by itself once the laptop is online and there is space again."]),
    (5, ["Search doesn't find a file I know exists.",
         "Search misses files whose location is not indexed yet and files in the trash. Open the location's menu and choose Rescan to rebuild its index."]),
    (3, ["Why is Filebox slow right now?",
         "It might be scanning."]),
    (5, ["Filebox makes my computer slow after I added a big disk.",
         "The first scan of a large location uses the disk heavily. Pause the scan from the status bar to make the computer responsive again, and resume it later."]),
    (4, ["What do the exported logs contain?",
         "The app log of the last seven days, the list of locations with their scan state, and each device's sync state. They never contain file contents, only names and paths."]),
    (5, ["How much quota does the Personal plan have?",
         "The Personal plan has 200 GB of quota and unlimited devices."]),
    (4, ["Do files in my own folders count against my quota?",
         "No. Only what Filebox keeps for you counts, such as shared folders and file versions; files in your own locations stay on your disks."]),
    (1, ["quota??",
         "Buy more."]),
    (5, ["How long are versions kept on the Free plan?",
         "Thirty days on the Free plan, one year on Personal, and without limit on Team plans."]),
    (4, ["How do I see who renamed a file in a shared folder?",
         "Open the folder's activity log. It lists every change, who made it, on which device and when."]),
    (5, ["How do I remove someone from my team?",
         "Open Team settings, choose the member and select Remove. Their files in team locations stay with the team.",
         "And their personal files?",
         "Their own locations stay with them; removing them from the team does not touch those."]),
    (4, ["Can an editor share my folder with other people?",
         "Not unless you allow it. Editors can rename, move and change files, but sharing further needs the owner's permission."]),
    (None, ["Is there a dark mode?",
         "Yes, under Settings, Appearance."]),
    (5, ["How do I find large videos to free up space?",
         "Search with the Kind filter set to video and the Size filter set to larger than 1 GB, sorted by size, largest first. You can save it as a smart folder to check again later."]),
    (4, ["What happens to a share link when it expires?",
         "It stops working at midnight UTC on its expiry date. You can create a new link at any time."]),
    (5, ["Can I use the API without internet?",
         "Yes. The GraphQL API on each device reads the local index, so it works offline like the app."]),
    (4, ["What does a query for a missing file return in the API?",
         "It returns null for that file rather than an error; an invalid query returns an errors list and no data."]),
    (2, ["what is a location",
         "A place."]),
    (5, ["How do I tag every invoice in my Downloads folder?",
         "Search for invoice with the Location filter set to your Downloads location, select all results and press Ctrl+T to add the tag."]),
]


def build(out: Path) -> None:
    tmp = out.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    db = sqlite3.connect(tmp)
    db.executescript(
        """
        CREATE TABLE conversations (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            rating INTEGER CHECK (rating BETWEEN 1 AND 5)
        );
        CREATE TABLE messages (
            conversation_id INTEGER NOT NULL REFERENCES conversations(id),
            position INTEGER NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
            content TEXT NOT NULL,
            PRIMARY KEY (conversation_id, position)
        );
        """
    )
    for i, (rating, turns) in enumerate(DIALOGUES, 1):
        db.execute(
            "INSERT INTO conversations VALUES (?, ?, ?)",
            (i, f"2026-05-{1 + i % 28:02d}T{8 + i % 10:02d}:00:00Z", rating),
        )
        for pos, text in enumerate(turns):
            role = "user" if pos % 2 == 0 else "assistant"
            db.execute("INSERT INTO messages VALUES (?, ?, ?, ?)", (i, pos, role, text))
    db.commit()
    db.close()
    os.replace(tmp, out)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("conversations.db")
    build(target)
    print(f"wrote {target}")
