import './base.css';
import './runsView.css';
